function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads `a.b.c` from nested objects; undefined when any step is missing. */
export function getAtPath(root: unknown, path: string): unknown {
  let node: unknown = root;
  for (const key of path.split('.')) {
    if (!isRecord(node)) return undefined;
    node = node[key];
  }
  return node;
}

/** Writes `a.b.c` into nested objects, creating the objects on the way; a no-op on a non-object root. */
export function setAtPath(root: unknown, path: string, value: unknown): void {
  if (!isRecord(root)) return;
  const keys = path.split('.');
  const last = keys.pop();
  if (last === undefined) return;
  let node: Record<string, unknown> = root;
  for (const key of keys) {
    const next = node[key];
    if (!isRecord(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[last] = value;
}
