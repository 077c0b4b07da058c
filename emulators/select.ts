/**
 * Docker or host processes? `EMULATORS=host|docker` forces the choice; `auto` (the default) uses Docker when a
 * Docker engine answers and host processes otherwise. The probe is a parameter so that the choice is unit-tested.
 */
import type { ModeSetting } from "./config.ts";

export type Mode = "host" | "docker";

export interface ModeChoice {
  mode: Mode;
  reason: string;
}

/** Resolves when a container runtime answers, rejects with the runtime's error otherwise. */
export type DockerProbe = () => Promise<unknown>;

export async function chooseMode(setting: ModeSetting, probeDocker: DockerProbe): Promise<ModeChoice> {
  if (setting === "host") return { mode: "host", reason: "EMULATORS=host" };
  if (setting === "docker") {
    try {
      await probeDocker();
    } catch (error) {
      throw new Error(`EMULATORS=docker, but no Docker engine answers (${firstLine(error)})`);
    }
    return { mode: "docker", reason: "EMULATORS=docker" };
  }
  try {
    await probeDocker();
    return { mode: "docker", reason: "a Docker engine answers" };
  } catch (error) {
    return { mode: "host", reason: `no Docker engine (${firstLine(error)})` };
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0] ?? text;
}
