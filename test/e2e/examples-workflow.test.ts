// The GitHub Actions example is valid YAML and runs commands this CLI has, with the options it takes.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { repoRoot, withProject } from '../rig/project.js';

interface Workflow {
  on: Record<string, unknown>;
  concurrency?: unknown;
  jobs: Record<
    string,
    {
      if?: string;
      concurrency?: { group: string; 'cancel-in-progress': boolean };
      steps: { run?: string; uses?: string }[];
    }
  >;
}

describe('the GitHub Actions example', () => {
  it('plans on pull requests, runs on merge, and every pipeline command in it parses', async () => {
    const workflow = parse(
      await readFile(join(repoRoot, 'examples/github-actions/pipeline.yml'), 'utf8'),
    ) as Workflow;
    assert.deepEqual(Object.keys(workflow.on), ['pull_request', 'push']);
    const runs = (job: string) => (workflow.jobs[job]?.steps ?? []).map((step) => step.run ?? '').join('\n');
    assert.match(runs('plan'), /npx pipeline plan --env prod/);
    assert.match(workflow.jobs.plan?.if ?? '', /pull_request/);
    assert.match(runs('run'), /npx pipeline run --env prod/);
    assert.match(workflow.jobs.run?.if ?? '', /push/);
    // The state is shared through the S3 backend, never carried in the actions cache.
    const uses = Object.values(workflow.jobs).flatMap((job) => job.steps.map((step) => step.uses ?? ''));
    assert.ok(!uses.some((action) => action.startsWith('actions/cache')), 'no actions cache');
    // A plan can never displace a queued run: separate groups, and runs are never cancelled.
    assert.equal(workflow.concurrency, undefined, 'no workflow-wide group');
    assert.match(workflow.jobs.plan?.concurrency?.group ?? '', /pull_request\.number/);
    assert.notEqual(workflow.jobs.plan?.concurrency?.group, workflow.jobs.run?.concurrency?.group);
    assert.equal(workflow.jobs.run?.concurrency?.['cancel-in-progress'], false);
    assert.match(runs('run'), /--lock-timeout/);

    // Approval: a protected environment's job approves the run's model, then serves approved ones.
    assert.match(runs('serve'), /npx pipeline approve --env prod "\$\{\{ needs\.run\.outputs\.run_id \}\}"/);
    assert.match(runs('serve'), /npx pipeline run --env serve/);
    assert.equal((workflow.jobs.serve as { environment?: string } | undefined)?.environment, 'production');
    const commands = [
      ...`${runs('plan')}\n${runs('run')}\n${runs('serve')}`.matchAll(/npx pipeline ([^|\n)]+)/g),
    ].map((m) => (m[1] ?? '').trim().split(/\s+/));
    assert.ok(commands.length >= 4);
    await withProject({}, async (project) => {
      for (const args of commands) {
        // --help stops after parsing: an unknown command or option would exit 2.
        const result = await project.run([...args, '--help'], { real: true });
        assert.equal(result.exitCode, 0, `pipeline ${args.join(' ')}: ${result.stderr}`);
      }
    });
  });
});
