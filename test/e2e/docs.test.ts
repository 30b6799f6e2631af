// The docs are part of the product: every code block marked runnable in README.md and docs/ runs,
// as written, in a fresh copy of the example (with `npx pipeline` this repository's CLI, and no
// docker engine so that runtime auto runs the programs as processes); every relative link leads
// to a file and every anchor to a heading; the pipeline.yaml reference is the schema's.
import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { cleanUpExampleProject, freshExampleProject } from '../rig/local-target.js';
import { realCli, repoRoot, type TestProject } from '../rig/project.js';

async function docFiles(): Promise<string[]> {
  const docs = (await readdir(join(repoRoot, 'docs'))).filter((name) => name.endsWith('.md'));
  return [join(repoRoot, 'README.md'), ...docs.map((name) => join(repoRoot, 'docs', name))];
}

/** The code blocks that follow a `<!-- runnable ... -->` comment. */
function runnableBlocks(text: string): string[] {
  return [...text.matchAll(/<!-- runnable[^>]*-->\s*\n```(?:sh|bash)\n([\s\S]*?)\n```/g)].map(
    ([, block]) => block as string,
  );
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchorOf = (heading: string): string =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

describe('the docs', () => {
  let project: TestProject;
  let shims: string;
  before(async () => {
    project = await freshExampleProject();
    // `npx pipeline` and `pipeline` are this repository's CLI, as after `npm install`.
    shims = project.path('.shims');
    await mkdir(shims, { recursive: true });
    for (const [name, script] of [
      ['npx', `#!/bin/sh\nif [ "$1" = pipeline ]; then shift; exec node '${realCli}' "$@"; fi\nexit 127\n`],
      ['pipeline', `#!/bin/sh\nexec node '${realCli}' "$@"\n`],
    ] as const) {
      await writeFile(join(shims, name), script);
      await chmod(join(shims, name), 0o755);
    }
  });
  after(async () => {
    await cleanUpExampleProject(project, { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
  });

  it('runs every block marked runnable, as written, in order', async () => {
    const blocks = (
      await Promise.all((await docFiles()).map(async (file) => readFile(file, 'utf8')))
    ).flatMap(runnableBlocks);
    assert.ok(blocks.length >= 2, `found the runnable blocks (${blocks.length})`);
    for (const block of blocks) {
      // The CLI is installed and built already: the install line of a quick start is skipped.
      const script = block
        .split('\n')
        .filter((line) => !/^\s*npm (install|ci)\b/.test(line))
        .join('\n');
      const result = await execa('bash', ['-e', '-c', script], {
        cwd: project.dir,
        reject: false,
        env: {
          PATH: `${shims}:${process.env.PATH}`,
          DOCKER_HOST: 'unix:///nonexistent/docker.sock',
          CI: 'true',
          NO_COLOR: '1',
        },
        all: true,
      });
      assert.equal(result.exitCode, 0, `${script}\n---\n${result.all}`);
    }
  });

  it('links to files that exist and headings that exist', async () => {
    const problems: string[] = [];
    for (const file of await docFiles()) {
      const text = await readFile(file, 'utf8');
      // Links outside code blocks: [text](target).
      const prose = text.replace(/```[\s\S]*?```/g, '');
      for (const [, target = ''] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        const [path = '', anchor] = target.split('#');
        const linked = path === '' ? file : resolve(dirname(file), path);
        const linkedText = await readFile(linked, 'utf8').catch(() => undefined);
        if (linkedText === undefined) {
          problems.push(`${file}: ${target}: no such file`);
          continue;
        }
        if (anchor) {
          const anchors = [...linkedText.matchAll(/^#+ (.+)$/gm)].map(([, heading]) =>
            anchorOf(heading as string),
          );
          if (!anchors.includes(anchor)) problems.push(`${file}: ${target}: no such heading`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it('has the pipeline.yaml reference the schema makes', async () => {
    const result = await execa('node', [join(repoRoot, 'scripts', 'write-config-reference.mjs'), '--check'], {
      reject: false,
    });
    assert.equal(result.exitCode, 0, result.stderr);
  });
});
