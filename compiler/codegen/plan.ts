// Memory planning: liveness of each temporary over the kernel sequence, then first-fit placement in one
// arena so buffers whose lifetimes do not overlap share memory. Outputs and updates live to the end.
// A loop body is planned first, on its own: its arena is one buffer of the parent.
import type { Schedule } from './scheduleTypes.js';

export interface ArenaSlot {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
}
export interface MemoryPlan {
  readonly placements: readonly ArenaSlot[];
  readonly arenaSize: number;
  /** Σ sizes with no reuse at all, and the largest sum of simultaneously live sizes (a lower bound). */
  readonly unplannedSize: number;
  readonly peakLive: number;
  /** The plans of the loop bodies, one per `Schedule.subs` entry. */
  readonly subs: readonly MemoryPlan[];
}

/** With `reuse` false every buffer gets its own place (to measure what sharing saves). */
export const planMemory = (s: Schedule, reuse = true): MemoryPlan => {
  const subs = s.subs.map((b) => planMemory(b.schedule));
  const temps = s.temps.map((t) => (t.body === undefined ? t : { ...t, size: subs[t.body]!.arenaSize }));
  const first = new Map<string, number>(),
    last = new Map<string, number>();
  s.kernels.forEach((k, i) => {
    for (const b of [...k.writes, ...k.reads]) {
      if (!first.has(b)) first.set(b, i);
      last.set(b, i);
    }
  });
  const pinned = new Set([...s.outputs.map((o) => o.buf), ...s.updates.map((u) => u.buf)]);
  const end = s.kernels.length;
  const live = temps.map((t) => ({ ...t, from: first.get(t.name) ?? 0, to: pinned.has(t.name) ? end : (last.get(t.name) ?? 0) }));
  const order = [...live].sort((a, b) => a.from - b.from || b.size - a.size);
  const active: { offset: number; size: number; to: number }[] = [];
  const placements: ArenaSlot[] = [];
  let arenaSize = 0;
  for (const t of order) {
    // A buffer is free once its last use is strictly before this one's first write.
    for (let i = active.length - 1; i >= 0; i--) if (reuse && active[i]!.to < t.from) active.splice(i, 1);
    active.sort((a, b) => a.offset - b.offset);
    let offset = 0;
    for (const a of active) {
      if (a.offset - offset >= t.size) break;
      offset = Math.max(offset, a.offset + a.size);
    }
    active.push({ offset, size: t.size, to: t.to });
    placements.push({ name: t.name, offset, size: t.size });
    arenaSize = Math.max(arenaSize, offset + t.size);
  }
  let peakLive = 0;
  for (let i = 0; i <= end; i++)
    peakLive = Math.max(
      peakLive,
      live.filter((t) => t.from <= i && t.to >= i).reduce((p, t) => p + t.size, 0),
    );
  return { placements, arenaSize, unplannedSize: temps.reduce((p, t) => p + t.size, 0), peakLive, subs };
};
