// Render counting for the speed tests and the benchmark: free unless a test or the benchmark
// installs `globalThis.__clawchatRenderCounts` (a plain object of counters).

type Counts = Record<string, number>;

function counts(): Counts | undefined {
  return (globalThis as { __clawchatRenderCounts?: Counts }).__clawchatRenderCounts;
}

export function countRender(name: string): void {
  const c = counts();
  if (c) c[name] = (c[name] ?? 0) + 1;
}

export function installRenderCounts(): Counts {
  const c: Counts = {};
  (globalThis as { __clawchatRenderCounts?: Counts }).__clawchatRenderCounts = c;
  return c;
}

export function removeRenderCounts(): void {
  delete (globalThis as { __clawchatRenderCounts?: Counts }).__clawchatRenderCounts;
}
