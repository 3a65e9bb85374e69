// What the tests of the Python agent (examples/python-agent) need before they can run it: a python3
// with its packages and its FlatBuffers code generated from schemas/ into a temporary folder. When
// python3, its packages or flatc are missing, the test is passed with a log line saying which.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';

export const PYTHON_AGENT_FOLDER = fileURLToPath(new URL('../../examples/python-agent/', import.meta.url));

export interface PythonAgent {
  readonly interpreter: string;
  /** agent.py and the arguments that point it at its generated code. */
  readonly args: readonly string[];
}

/**
 * A Python with the agent's packages: python3 on the PATH, else the system's (a pyenv or
 * virtualenv python3 first on the PATH may lack the Debian packages the system one has).
 */
function python(): string | undefined {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(candidate, ['-c', 'import flatbuffers, websocket'], { stdio: 'pipe' });
      return candidate;
    } catch {
      // The next one.
    }
  }
  return undefined;
}

function flatcMissing(): boolean {
  try {
    execFileSync('flatc', ['--version'], { stdio: 'pipe' });
    return false;
  } catch {
    return true;
  }
}

/** The agent ready to spawn, or undefined (the test passed, saying what is missing). */
export function preparePythonAgent(t: ExecutionContext): PythonAgent | undefined {
  const interpreter = python();
  const missing =
    interpreter === undefined
      ? 'python3 with the flatbuffers and websocket-client packages (Debian: python3-flatbuffers python3-websocket)'
      : flatcMissing()
        ? 'flatc (Debian: flatbuffers-compiler)'
        : undefined;
  if (interpreter === undefined || missing !== undefined) {
    t.log(`skipped: the Python agent needs ${missing}`);
    t.pass();
    return undefined;
  }
  const generated = mkdtempSync(join(tmpdir(), 'vf-python-agent-'));
  t.teardown(() => rmSync(generated, { recursive: true, force: true }));
  execFileSync(join(PYTHON_AGENT_FOLDER, 'generate.sh'), [generated], { stdio: 'pipe' });
  return { interpreter, args: [join(PYTHON_AGENT_FOLDER, 'agent.py'), '--generated', generated] };
}
