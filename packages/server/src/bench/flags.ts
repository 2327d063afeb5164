// Flags of the reliability scripts (chaos, soak): `--name=N` or `--name N`, integers with a default and a floor.

/** Parses argv against `defaults`; every flag must be one of its keys (kebab-case) and an integer ≥ min. */
export function parseIntFlags<K extends string>(argv: string[], defaults: Record<K, { value: number; min: number }>): Record<K, number> {
  const out = Object.fromEntries(Object.entries(defaults).map(([k, d]) => [k, (d as { value: number }).value])) as Record<K, number>;
  const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const byFlag = new Map(Object.keys(defaults).map((k) => [kebab(k), k as K]));
  const usage = () => `options: ${[...byFlag.keys()].map((f) => `--${f}=N`).join(" ")}`;
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.+))?$/.exec(argv[i]!);
    const key = m ? byFlag.get(m[1]!) : undefined;
    if (!m || key === undefined) throw new Error(`unknown argument ${argv[i]}; ${usage()}`);
    const text = m[2] ?? argv[++i];
    const n = Number(text);
    if (text === undefined || !Number.isSafeInteger(n) || n < defaults[key].min) throw new Error(`--${m[1]} must be an integer ≥ ${defaults[key].min}`);
    out[key] = n;
  }
  return out;
}
