/**
 * The shape trailpost indexes CloudTrail records in: one table that both the index template (template.ts) and
 * the document builder (document.ts) read, so that a document can never disagree with its mapping.
 *
 * - Identifying fields are keywords; `eventTime` and `@timestamp` dates; `readOnly`, `managementEvent` booleans.
 * - `sourceIPAddress` stays a keyword (it can be `ec2.amazonaws.com`), with an `ip` sub-field that skips non-IPs.
 * - The free-form objects (`requestParameters`, `responseElements`, …) are "flat": one field each, whatever their
 *   inner paths and types (Elasticsearch `flattened`, OpenSearch `flat_object`, else kept but not indexed).
 * - Fields not listed here stay in `_source` but are not indexed (`dynamic: false`): a new CloudTrail field can
 *   never break indexing.
 */

export type Leaf =
  | "keyword" // identifiers; values over 1024 characters are kept but not indexed
  | "text" // messages: full text, plus a `.keyword` sub-field
  | "boolean"
  | "date" // eventTime, @timestamp
  | "lenient-date" // dates inside the record: ISO 8601 basic or extended, epoch millis; anything else ignored
  | "ip-keyword" // keyword with an `ip` sub-field that ignores non-IP values
  | "flat"; // free-form object: one field, any inner paths and types

export interface Fields {
  [name: string]: Leaf | Fields;
}

/** Where values that cannot be indexed as mapped are kept (stored in `_source`, not indexed). */
export const UNINDEXED = "trailpost";

export const CLOUDTRAIL: Fields = {
  "@timestamp": "date",
  eventVersion: "keyword",
  eventTime: "date",
  eventSource: "keyword",
  eventName: "keyword",
  awsRegion: "keyword",
  sourceIPAddress: "ip-keyword",
  userAgent: "keyword",
  errorCode: "keyword",
  errorMessage: "text",
  requestParameters: "flat",
  responseElements: "flat",
  additionalEventData: "flat",
  serviceEventDetails: "flat",
  insightDetails: "flat",
  edgeDeviceDetails: "flat",
  eventContext: "flat",
  requestID: "keyword",
  eventID: "keyword",
  sharedEventID: "keyword",
  readOnly: "boolean",
  managementEvent: "boolean",
  resources: { ARN: "keyword", ARNPrefix: "keyword", accountId: "keyword", type: "keyword" },
  apiVersion: "keyword",
  eventType: "keyword",
  recipientAccountId: "keyword",
  vpcEndpointId: "keyword",
  vpcEndpointAccountId: "keyword",
  eventCategory: "keyword",
  sessionCredentialFromConsole: "keyword",
  addendum: { reason: "keyword", updatedFields: "keyword", originalRequestID: "keyword", originalEventID: "keyword" },
  tlsDetails: { tlsVersion: "keyword", cipherSuite: "keyword", clientProvidedHostHeader: "keyword", keyExchange: "keyword" },
  userIdentity: {
    type: "keyword",
    principalId: "keyword",
    arn: "keyword",
    accountId: "keyword",
    accessKeyId: "keyword",
    userName: "keyword",
    invokedBy: "keyword",
    credentialId: "keyword",
    identityProvider: "keyword",
    invokedByDelegate: { accountId: "keyword" },
    onBehalfOf: { userId: "keyword", identityStoreArn: "keyword" },
    inScopeOf: { sourceArn: "keyword", sourceAccount: "keyword", issuerType: "keyword", credentialsIssuedTo: "keyword" },
    sessionContext: {
      sessionIssuer: { type: "keyword", principalId: "keyword", arn: "keyword", accountId: "keyword", userName: "keyword" },
      webIdFederationData: { federatedProvider: "keyword", attributes: "flat" },
      attributes: { creationDate: "lenient-date", mfaAuthenticated: "keyword" },
      sourceIdentity: "keyword",
      ec2RoleDelivery: "keyword",
      assumedRoot: "keyword",
      signInSessionArn: "keyword",
      ec2IssuedInVPC: "keyword",
    },
  },
};

/** Keyword values longer than this are kept in `_source` but not indexed (Lucene's term limit is 32766 bytes). */
export const KEYWORD_IGNORE_ABOVE = 1024;
/** Longest leaf (path + value, UTF-8 bytes) a flat field indexes safely; longer ones are moved aside. */
export const FLAT_LEAF_LIMIT = 32_000;
/** Deepest nesting inside a flat field (Elasticsearch's `flattened` rejects deeper objects unless raised). */
export const FLAT_DEPTH_LIMIT = 100;
