/**
 * What the rest of the machine did while a benchmark's child ran, from Linux's /proc (shared by bench/train.ts and
 * bench/epoch.ts): busy and stolen CPU time of the whole machine, and the CPU time of this process's finished
 * children, so that "others' cores" = (machine busy time − this process tree's CPU time) / wall time.
 *
 * @see notebooks/05-training-runs.ipynb
 */
import * as fs from 'node:fs';

const TICKS_PER_S = 100; // USER_HZ on Linux

/** The machine's busy and steal CPU time so far (ms, all cores; /proc/stat), or null off Linux. */
export function machineCpuMs(): { busy: number; steal: number } | null {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f;
    return { busy: ((user + nice + system + irq + softirq) * 1000) / TICKS_PER_S, steal: ((steal ?? 0) * 1000) / TICKS_PER_S };
  } catch {
    return null;
  }
}

/** CPU time (ms) of this process's finished (reaped) children so far: cutime + cstime of /proc/self/stat. */
export function childrenCpuMs(): number | null {
  try {
    const f = fs.readFileSync('/proc/self/stat', 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return ((Number(rest[13]) + Number(rest[14])) * 1000) / TICKS_PER_S; // fields 16, 17 of the whole line
  } catch {
    return null;
  }
}

/**
 * Cores the others kept busy, and cores the hypervisor stole, between two readings (null off Linux; others' cores
 * also null when this process tree's CPU time, `ownCpuMs`, is unknown).
 */
export function othersDuring(cpu0: ReturnType<typeof machineCpuMs>, cpu1: ReturnType<typeof machineCpuMs>, ownCpuMs: number | null,
  wallMs: number): { others_cpu_cores: number | null; steal_cores: number | null } {
  const round = (v: number): number => Math.round(v * 100) / 100;
  return {
    others_cpu_cores: cpu0 && cpu1 && ownCpuMs !== null ? round(Math.max(0, cpu1.busy - cpu0.busy - ownCpuMs) / wallMs) : null,
    steal_cores: cpu0 && cpu1 ? round((cpu1.steal - cpu0.steal) / wallMs) : null,
  };
}
