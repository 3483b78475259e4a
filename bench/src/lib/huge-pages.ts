/**
 * The machine's transparent huge page mode, recorded with every run: Argon2id's memory is mapped
 * afresh for each hash, and whether it gets 2 MiB pages decides much of a hash's cost (six times
 * on the tenth round's machine with them off; docs/benchmarks.md). Linux only.
 */
import { readFileSync } from "node:fs";

const SETTING = "/sys/kernel/mm/transparent_hugepage/enabled";

/**
 * The selected mode of a sysfs choice list, the bracketed one, or null when none is bracketed.
 *
 * @example parseSelectedMode("always [madvise] never") // "madvise"
 */
export function parseSelectedMode(text: string): string | null {
  return /\[([^\]]+)\]/.exec(text)?.[1] ?? null;
}

/** `always`, `madvise` or `never`; null where the setting cannot be read (not Linux). */
export function transparentHugePageMode(): string | null {
  try {
    return parseSelectedMode(readFileSync(SETTING, "utf8"));
  } catch {
    return null;
  }
}
