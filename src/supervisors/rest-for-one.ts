// rest-for-one: the failed child and every sibling started after it (they depend on it).
export function restForOne<C>(children: readonly C[], failed: C): C[] {
  const index = children.indexOf(failed);
  return index < 0 ? [failed] : children.slice(index);
}
