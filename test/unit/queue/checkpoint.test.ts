import assert from "node:assert/strict";
import { test } from "node:test";
import { folderIsFinal, LATE_DELIVERY_MS } from "../../../lib/queue/checkpoint.ts";

const folder = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/04/";

test("a day's folder is final only an hour after the next midnight UTC", () => {
  const midnight = Date.UTC(2024, 2, 5);
  assert.equal(LATE_DELIVERY_MS, 3_600_000);
  for (const [now, final] of [
    [Date.UTC(2024, 2, 4, 0, 0), false], // the day itself
    [Date.UTC(2024, 2, 4, 23, 59, 59), false],
    [midnight, false], // CloudTrail still delivers the last minutes
    [midnight + LATE_DELIVERY_MS - 1, false],
    [midnight + LATE_DELIVERY_MS, true],
    [Date.UTC(2025, 0, 1), true],
    [Date.UTC(2024, 2, 3), false], // a folder of the future
  ] as const) {
    assert.equal(folderIsFinal(folder, now), final, new Date(now).toISOString());
  }
});

test("month and year ends, leap days; a folder not dated like CloudTrail's is never final", () => {
  assert.equal(folderIsFinal("AWSLogs/o-abc/111122223333/CloudTrail/eu-west-1/2024/02/29/", Date.UTC(2024, 2, 1, 1)), true);
  assert.equal(folderIsFinal("AWSLogs/o-abc/111122223333/CloudTrail/eu-west-1/2024/02/29/", Date.UTC(2024, 2, 1, 0, 59)), false);
  assert.equal(folderIsFinal("p/AWSLogs/111122223333/CloudTrail/us-east-1/2023/12/31/", Date.UTC(2024, 0, 1, 1)), true);
  for (const odd of ["AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/", "AWSLogs/x/", "", "AWSLogs/1/CloudTrail/r/2024/03/04"]) {
    assert.equal(folderIsFinal(odd, Date.UTC(2030, 0, 1)), false, odd);
  }
});
