/** Deeper than any Netcore payload (4 levels) by far, shallow enough for every recursive walk downstream. */
export const MAX_JSON_DEPTH = 32;

/** Keys that pollute prototypes when a consumer merges the object with `Object.assign` or a deep-merge helper. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Depth of a parsed JSON value, counted without recursion (so a hostile depth cannot overflow the stack). */
export function exceedsJsonDepth(value: unknown, maxDepth = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > maxDepth) return true;
    for (const child of Object.values(node)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/** The first prototype-polluting key anywhere in `value`, as an own property (JSON.parse makes `__proto__` one). */
export function findForbiddenKey(value: unknown): string | undefined {
  const stack: unknown[] = [value];
  while (stack.length) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    for (const key of Object.keys(node)) {
      if (FORBIDDEN_KEYS.has(key)) return key;
      stack.push((node as Record<string, unknown>)[key]);
    }
  }
  return undefined;
}
