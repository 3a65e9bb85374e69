// one-for-all: when one child fails, every sibling is restarted with it (they share state that
// only makes sense together).
export function oneForAll<C>(children: readonly C[], _failed: C): C[] {
  return [...children];
}
