// A worker thread of split.ts or ingest.ts under Node (see workers.ts): tsx's loader first, then the entry.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
