// Actor paths. A local path is absolute inside one system ("/app/graph/shard-3"); a remote one is
// qualified with the system's address ("vf://node-b/app/graph/shard-3"). Names are restricted so
// a path is unambiguous to parse and safe to put on the wire.

const NAME = /^[A-Za-z0-9_$.~-]{1,64}$/;
const REMOTE = /^vf:\/\/([A-Za-z0-9_.:-]{1,128})(\/.*)$/;

export function validateName(name: string): string {
  if (!NAME.test(name) || name === '.' || name === '..') {
    throw new RangeError(`invalid actor name "${name}": use 1-64 of A-Z a-z 0-9 _ $ . ~ -`);
  }
  return name;
}

export function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

export interface ParsedPath {
  /** The system address, or undefined for a local path. */
  readonly address: string | undefined;
  readonly local: string;
}

/** Splits a path into its address and local part; undefined when malformed. */
export function parsePath(path: string): ParsedPath | undefined {
  const remote = REMOTE.exec(path);
  const local = remote === null ? path : remote[2]!;
  if (!local.startsWith('/')) return undefined;
  if (
    local !== '/' &&
    !local
      .slice(1)
      .split('/')
      .every((n) => NAME.test(n))
  )
    return undefined;
  return { address: remote === null ? undefined : remote[1], local };
}

export function qualify(address: string, local: string): string {
  return `vf://${address}${local}`;
}
