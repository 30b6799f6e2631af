// `pipeline init` on a terminal asks for what its flags did not say, as a user answers it: a
// real pseudo-terminal (util-linux `script`) with the answers typed on it.
import assert from 'node:assert/strict';
import { rm, symlink } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { realCli, withProject } from '../rig/project.js';

const CONTAINER = {
  'container/Dockerfile': 'FROM debian:bookworm-slim\nARG MODEL_VERSION=1\nCOPY . /opt/program\n',
  'data/training/train.csv': '0,1.5,2.5\n1,3.5,4.5\n',
  'data/eval/eval.csv': 'label,a,b\ncat,1.0,2.0\ndog,3.0,4.0\n',
};

describe('pipeline init on a terminal', () => {
  it('asks for the data, the rows to send and their label column, and writes what was answered', async () => {
    await withProject(CONTAINER, async (project) => {
      await rm(project.path('pipeline.yaml'));
      await rm(project.path('context'), { recursive: true, force: true });
      // Enter for the default data folder, then the rows, "y" for a header, the label's name.
      const answers = '\ndata/eval/eval.csv\ny\nlabel\n';
      const result = await execa('script', ['-qfec', `node ${realCli} init`, '/dev/null'], {
        cwd: project.dir,
        input: answers,
        env: { NO_COLOR: '1' },
        reject: false,
      });
      assert.equal(result.exitCode, 0, result.stdout);
      assert.match(result.stdout, /Training data folder \(each subfolder is a channel\) \[data\]/);
      assert.match(result.stdout, /Its label column/);
      const yaml = await project.read('pipeline.yaml');
      assert.match(yaml, /^ {2}training:\n {4}path: "data\/training"/m);
      assert.doesNotMatch(yaml, /path: "data\/eval"/);
      assert.match(yaml, /^ {2}data: "data\/eval\/eval\.csv"$/m);
      assert.match(yaml, /^ {2}header: true/m);
      assert.match(
        yaml,
        /^ {2}labelColumn: "label"\n {2}labelFormat: name\n {2}classNames: \["cat", "dog"\]$/m,
      );
      assert.match(yaml, /^ {2}# {3}MODEL_VERSION: 1$/m);
    });
  });

  it('asks nothing without a terminal, or with --yes', async () => {
    await withProject(CONTAINER, async (project) => {
      await rm(project.path('pipeline.yaml'));
      const result = await project.runInProcess(['init']);
      assert.equal(result.exitCode, 0, result.stderr);
      assert.doesNotMatch(result.stderr, /\[data\]/);
      const yaml = await project.read('pipeline.yaml');
      assert.doesNotMatch(yaml, /^invoke:/m);
      // Held-out rows are never trained on: data/eval is not a channel, and init says why.
      assert.match(yaml, /^ {2}training:\n {4}path: "data\/training"/m);
      assert.doesNotMatch(yaml, /path: "data\/eval"/);
      assert.match(
        result.stdout,
        /data\/eval is not a training channel \(held-out rows are not trained on\)/,
      );
    });
  });

  it('follows a linked Dockerfile, and names channels after any folder name, safely', async () => {
    await withProject(
      { ...CONTAINER, 'shared/Dockerfile': 'FROM debian:bookworm-slim\n' },
      async (project) => {
        await rm(project.path('pipeline.yaml'));
        await rm(project.path('container/Dockerfile'));
        await symlink(project.path('shared/Dockerfile'), project.path('container/Dockerfile'));
        await rm(project.path('data'), { recursive: true });
        const folders = ['my data', 'a:b', 'données', 'x\ny:\n  injected: true', 'my-data'];
        for (const folder of folders) await project.write({ [`data/${folder}/part.csv`]: '1,2\n' });
        const result = await project.runInProcess(['init', '--container', 'container']);
        assert.equal(result.exitCode, 0, result.stderr);
        const validated = await project.runInProcess(['validate']);
        assert.equal(validated.exitCode, 0, validated.stderr);
        const yaml = await project.read('pipeline.yaml');
        assert.doesNotMatch(yaml, /^\s*injected: true/m, 'a newline in a folder name adds no setting');
        for (const channel of ['my-data:', 'a-b:', 'donnees:', 'x-y-injected-true:', 'my-data-2:'])
          assert.match(yaml, new RegExp(`^  ${channel}$`, 'm'), `${channel}\n${yaml}`);
        assert.match(yaml, /path: "data\/x\\ny:\\n {2}injected: true"/);
      },
    );
  });

  it('refuses a data folder outside the project and more than 20 channels, writing nothing', async () => {
    await withProject(CONTAINER, async (project) => {
      await rm(project.path('pipeline.yaml'));
      const outside = await project.runInProcess(['init', '--data', '..']);
      assert.equal(outside.exitCode, 2);
      assert.match(outside.stderr, /--data \.\.: not inside .*, the project's folder/);
      for (let index = 0; index < 21; index++) await project.write({ [`many/c${index}/part.csv`]: '1\n' });
      const many = await project.runInProcess(['init', '--data', 'many']);
      assert.equal(many.exitCode, 2);
      assert.match(many.stderr, /many holds 21 folders, and a training job takes at most 20 channels/);
      await assert.rejects(project.read('pipeline.yaml'), { code: 'ENOENT' });
    });
  });

  it('takes back a pipeline.yaml that would not validate, so that init can run again', async () => {
    await withProject(CONTAINER, async (project) => {
      await rm(project.path('pipeline.yaml'));
      const bad = await project.runInProcess(['init', '--content-type', 'notatype']);
      assert.equal(bad.exitCode, 2, bad.stderr);
      assert.match(bad.stderr, /pipeline\.yaml:\d+:\d+: .*contentType/);
      await assert.rejects(project.read('pipeline.yaml'), { code: 'ENOENT' });
      const again = await project.runInProcess(['init']);
      assert.equal(again.exitCode, 0, again.stderr);
    });
  });
});
