// A scratch directory for tests that write files: on tmpfs (/dev/shm) when the machine has one, since
// the atomic writer fsyncs every file and an fsync on a busy disk can take a second.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const scratchDir = (prefix: string): string => mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), prefix));
