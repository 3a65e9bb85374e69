// Something that takes messages of one type. Libraries hand their results and subscriptions to a
// Recipient without knowing what delivers them; the runtime's Ref (src/runtime/ref.ts) is one.

export interface Recipient<Msg> {
  /** Where it is: the key of subscriber tables, and what log lines name. */
  readonly path: string;
  /** Fire and forget: never throws. */
  tell(message: Msg): void;
}
