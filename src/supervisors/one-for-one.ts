// one-for-one: only the failed child is restarted.
export function oneForOne<C>(_children: readonly C[], failed: C): C[] {
  return [failed];
}
