import { test } from "node:test";
import assert from "node:assert/strict";
import { chooseMode } from "../../../emulators/select.ts";
import { ConfigError, readStackConfig } from "../../../emulators/config.ts";

const dockerUp = async () => ({ info: "ok" });
const dockerDown = async () => {
  throw new Error("Could not find a working container runtime strategy\nmore detail");
};

test("auto picks Docker when an engine answers, host processes when none does", async () => {
  assert.deepEqual(await chooseMode("auto", dockerUp), { mode: "docker", reason: "a Docker engine answers" });
  assert.deepEqual(await chooseMode("auto", dockerDown), {
    mode: "host",
    reason: "no Docker engine (Could not find a working container runtime strategy)",
  });
});

test("EMULATORS=host never asks Docker", async () => {
  let asked = false;
  const choice = await chooseMode("host", async () => {
    asked = true;
  });
  assert.equal(choice.mode, "host");
  assert.equal(asked, false);
});

test("EMULATORS=docker without an engine is an error that says so", async () => {
  assert.equal((await chooseMode("docker", dockerUp)).mode, "docker");
  await assert.rejects(chooseMode("docker", dockerDown), /EMULATORS=docker, but no Docker engine answers \(Could not find a working container runtime strategy\)$/);
});

test("stack settings: defaults, overrides, and clear errors", () => {
  const defaults = readStackConfig({}, "/repo");
  assert.equal(defaults.mode, "auto");
  assert.equal(defaults.localstack.port, 4566);
  assert.equal(defaults.localstack.version, "4.14.0");
  assert.equal(defaults.localstack.image, "localstack/localstack:4.14.0");
  assert.equal(defaults.search.port, 9200);
  assert.equal(defaults.search.engine, "auto");
  assert.equal(defaults.search.version, undefined);
  assert.equal(defaults.dir, "/repo/.emulators");

  const custom = readStackConfig({ EMULATORS: "docker", LOCALSTACK_PORT: "14566", SEARCH_PORT: "19200", LOCALSTACK_VERSION: "4.13.1", LOCALSTACK_AUTH_TOKEN: "ls-token", EMULATORS_DIR: "/tmp/e" }, "/repo");
  assert.equal(custom.mode, "docker");
  assert.equal(custom.localstack.port, 14566);
  assert.equal(custom.localstack.image, "localstack/localstack:4.13.1");
  assert.equal(custom.localstack.authToken, "ls-token");
  assert.equal(custom.search.port, 19200);
  assert.equal(custom.dir, "/tmp/e");

  assert.throws(() => readStackConfig({ EMULATORS: "podman" }, "/repo"), (e) => e instanceof ConfigError && /EMULATORS must be auto, host or docker, not "podman"/.test(e.message));
  assert.throws(() => readStackConfig({ SEARCH_PORT: "99999" }, "/repo"), /SEARCH_PORT must be a TCP port/);
  assert.throws(() => readStackConfig({ LOCALSTACK_VERSION: "latest" }, "/repo"), /LOCALSTACK_VERSION must be a version like 4\.14\.0/);
});
