// Tags of the local SageMaker's resources, by ARN: given at creation (Tags of Create*), changed
// with AddTags and DeleteTags, read with ListTags, and gone with the resource. As on SageMaker, a
// resource holds at most 50 tags, AddTags overwrites the value of a key it already has, and tags
// of a resource that does not exist cannot be read or changed.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../shared/write-file-atomic.js';
import type { Operations as SageMakerOperations } from '../generated/sagemaker-wire.js';
import { resourceOfArn } from '../protocol/account.js';
import { validation } from '../protocol/aws-error.js';
import type { HonouredMembers } from '../protocol/honoured-members.js';
import { handlers, type Operation } from '../protocol/json-service.js';
import { listPage } from '../protocol/list-page.js';
import { pathInside } from '../protocol/store-path.js';

export interface Tag {
  Key: string;
  Value: string;
}

const MAX_TAGS = 50;

export class TagStore {
  constructor(
    private readonly dir: string,
    /** Whether the ARN names a resource that exists. */
    private readonly exists: (arn: string) => Promise<boolean>,
  ) {}

  private file(arn: string): string {
    const resource = resourceOfArn(arn);
    if (!resource) throw validation(`${arn} is not the ARN of a SageMaker resource`);
    return pathInside(join(this.dir, resource.kind), `${resource.name}.json`);
  }

  async read(arn: string): Promise<Tag[]> {
    try {
      return JSON.parse(await readFile(this.file(arn), 'utf8')) as Tag[];
    } catch {
      return [];
    }
  }

  /** Adds or overwrites tags; more than 50 in all is refused, leaving the tags as they were. */
  async add(arn: string, tags: readonly Tag[]): Promise<void> {
    refuseReservedTags(tags);
    const merged = new Map((await this.read(arn)).map((tag) => [tag.Key, tag.Value]));
    for (const tag of tags) merged.set(tag.Key, tag.Value ?? '');
    if (merged.size > MAX_TAGS)
      throw validation(`A resource can have at most ${MAX_TAGS} tags: ${arn} would have ${merged.size}.`);
    await this.write(
      arn,
      [...merged].map(([Key, Value]) => ({ Key, Value })),
    );
  }

  async remove(arn: string): Promise<void> {
    await rm(this.file(arn), { force: true });
  }

  private async write(arn: string, tags: Tag[]): Promise<void> {
    const file = this.file(arn);
    await mkdir(join(file, '..'), { recursive: true });
    await writeFileAtomic(file, `${JSON.stringify(tags)}\n`);
  }

  private async mustExist(arn: string): Promise<void> {
    if (!(await this.exists(arn))) throw validation(`Resource ${arn} does not exist.`);
  }

  operations(): Record<string, Operation> {
    return handlers<SageMakerOperations>(
      {
        AddTags: async (input) => {
          await this.mustExist(input.ResourceArn);
          await this.add(input.ResourceArn, input.Tags);
          return { Tags: input.Tags };
        },
        DeleteTags: async (input) => {
          await this.mustExist(input.ResourceArn);
          const removed = new Set(input.TagKeys);
          await this.write(
            input.ResourceArn,
            (await this.read(input.ResourceArn)).filter((tag) => !removed.has(tag.Key)),
          );
          return {};
        },
        ListTags: async (input) => {
          const arn = input.ResourceArn;
          await this.mustExist(arn);
          const tags = await this.read(arn);
          // Tags keep the order they were added in: sort by an index that never changes.
          const { page, NextToken } = listPage(
            tags.map((tag, index) => ({ tag, index })),
            { MaxResults: input.MaxResults ?? 50, NextToken: input.NextToken, SortOrder: 'Ascending' },
            ({ tag, index }) => ({ name: tag.Key, creationTime: index }),
            // A token is good for the same resource's tags only.
            { operation: `ListTags ${arn}` },
          );
          return { Tags: page.map(({ tag }) => tag), ...(NextToken ? { NextToken } : {}) };
        },
      },
      TAGS_HONOURED,
    );
  }
}

/** What the tag operations honour (protocol/honoured-members.ts). */
const TAGS_HONOURED: HonouredMembers<SageMakerOperations> = {
  AddTags: ['ResourceArn', 'Tags'],
  DeleteTags: ['ResourceArn', 'TagKeys'],
  ListTags: ['ResourceArn', 'NextToken', 'MaxResults'],
};

/** Tag keys that start with `aws:` are AWS's own: SageMaker refuses them from a user. */
export function refuseReservedTags(tags: unknown): void {
  if (!Array.isArray(tags)) return;
  const reserved = tags.find(
    (tag) => typeof tag?.Key === 'string' && tag.Key.toLowerCase().startsWith('aws:'),
  );
  if (reserved)
    throw validation(
      `Tag key "${reserved.Key}" is not allowed: tag keys that begin with "aws:" are reserved for AWS use.`,
    );
}
