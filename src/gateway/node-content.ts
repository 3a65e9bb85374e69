// How much of a node's content one HTTP answer carries. Content may be a megabyte of markdown; the
// viewer's side panel shows the start of it, so the answer is cut (on a character boundary, never
// between the halves of a surrogate pair) and says how long the whole is.
import type { GraphNodeView } from './ports.ts';

/** Default and largest number of UTF-16 code units of content in one node answer. */
export const CONTENT_DEFAULT_CHARS = 16_384;
export const CONTENT_MAX_CHARS = 262_144;

export function clipContent(view: GraphNodeView, maxChars: number): GraphNodeView {
  const content = view.content;
  if (content === undefined) return view;
  if (maxChars <= 0) {
    const { content: _dropped, ...rest } = view;
    return { ...rest, contentLength: content.length };
  }
  if (content.length <= maxChars) return view;
  let end = maxChars;
  const last = content.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // a high surrogate whose pair would be cut off
  return { ...view, content: content.slice(0, end), contentLength: content.length };
}
