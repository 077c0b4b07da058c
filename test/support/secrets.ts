/**
 * The secrets the tests configure. None of them may appear in any output of the test run: `make test` captures
 * everything it prints and `check-secrets.ts` fails the run if one shows up there or in a file the run left.
 */
export const TEST_SECRETS = {
  password: "s3cr3t-Pa55word-XYZ",
  apiKey: "QXBpS2V5U2VjcmV0VmFsdWU=",
  awsSecretAccessKey: "wJalrXUtnFEMI-trailpost-test-SECRET",
  awsSessionToken: "IQoJb3JpZ2luX2VjEXAMPLE-trailpost-session-SECRET",
} as const;
