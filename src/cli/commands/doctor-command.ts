// `pipeline doctor`: checks what a run of this pipeline needs, on this machine and at its target,
// and says what to do about each problem. Exit 0 only when a run can work (warnings allowed).
import type { CliFailure } from '../cli-failure.js';
import { type CliIo, type CommonOptions, writeJson, writeLine } from '../cli-io.js';
import type { CheckResult } from '../doctor/doctor-check.js';
import { loadForCommand, stateDirOf } from '../open-pipeline.js';
import { type Paint, painter } from '../paint.js';

export async function doctorCommand(options: CommonOptions, io: CliIo): Promise<CliFailure | undefined> {
  const loaded = await loadForCommand(options, io);
  if (!loaded.ok) return { reason: 'config', errors: loaded.error };
  const { config, projectDir } = loaded.value;
  const [host, target] = await Promise.all([
    import('../doctor/host-checks.js'),
    import('../doctor/target-checks.js'),
  ]);

  const results: CheckResult[] = [host.checkNode()];
  const docker = await host.checkDocker(config);
  results.push(...docker.results);
  if (docker.engine) results.push(...(await host.checkBaseImages(config, projectDir)));
  if (config.target === 'local') {
    results.push(...(await host.checkRegistry(config)));
    results.push(await target.checkLocalSageMaker(config, stateDirOf(loaded.value)));
  } else {
    const { awsRegion } = await import('../../sagemaker/aws-connection.js');
    const region = awsRegion(config);
    results.push(
      ...(await target.checkAws(config, region, async () => target.awsClientsFor(config, region))),
    );
  }

  const failed = results.filter((result) => result.status === 'fail').map((result) => result.check);
  if (options.json)
    writeJson(io.stdout, {
      target: config.target,
      runtime: config.runtime,
      ok: failed.length === 0,
      checks: results,
    });
  else
    writeLine(
      io.stdout,
      formatChecks(config.target, config.runtime, results, painter(Boolean(io.stdout.isTTY), io.env)),
    );
  return failed.length > 0 ? { reason: 'checks-failed', failed } : undefined;
}

const MARK = { ok: '✔', warn: '!', fail: '✖', skip: '○' } as const;

function formatChecks(
  target: string,
  runtime: string,
  results: readonly CheckResult[],
  paint: Paint,
): string {
  const width = Math.max(...results.map((result) => result.check.length));
  const lines = [`pipeline doctor (target ${target}, runtime ${runtime})`];
  for (const result of results) {
    const mark = MARK[result.status];
    const painted =
      result.status === 'ok'
        ? paint('green', mark)
        : result.status === 'fail'
          ? paint('red', mark)
          : result.status === 'warn'
            ? paint('yellow', mark)
            : paint('dim', mark);
    lines.push(`  ${painted} ${result.check.padEnd(width)}  ${result.detail}`);
    if (result.advice)
      for (const line of result.advice.split('\n'))
        lines.push(`  ${' '.repeat(width + 4)}${paint('dim', line)}`);
  }
  const problems = results.filter((result) => result.status === 'fail').length;
  const warnings = results.filter((result) => result.status === 'warn').length;
  lines.push(
    '',
    problems > 0
      ? `${problems} problem${problems > 1 ? 's' : ''} to fix before a run can work.`
      : `A run can work${warnings > 0 ? ` (${warnings} warning${warnings > 1 ? 's' : ''} above)` : ''}.`,
  );
  return lines.join('\n');
}
