// CloudWatch Logs filter patterns for unstructured log events, matched as CloudWatch Logs matches
// them (case-sensitive):
//   ERROR Exception        every term        "exact phrase"   a quoted phrase is one term
//   ?ERROR ?WARN           any of the ?-terms (beside terms without ?, which must all appear)
//   ERROR -Retrying        a -term must not appear
//   %ERROR [0-9]+%         a regular expression
// JSON (`{ $.level = "error" }`) and space-delimited (`[ip, user, ...]`) patterns are refused
// rather than matched wrongly.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
import { AwsError } from '../protocol/aws-error.js';

type Matcher = (message: string) => boolean;

const invalid = (message: string) => new AwsError('InvalidParameterException', message);

function regexOf(pattern: string): Matcher {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern.slice(1, -1));
  } catch (error) {
    throw invalid(`Invalid regex in the filter pattern ${pattern}: ${(error as Error).message}`);
  }
  return (message) => regex.test(message);
}

export function filterOf(pattern: unknown): Matcher {
  if (typeof pattern !== 'string' || pattern.trim() === '') return () => true;
  const text = pattern.trim();
  if (text.startsWith('{') || text.startsWith('['))
    throw invalid(
      `The filter pattern ${text} is not supported by the local CloudWatch Logs: use terms, "quoted phrases", ?any, -excluded or %regex%`,
    );
  if (text.length > 2 && text.startsWith('%') && text.endsWith('%')) return regexOf(text);
  const required: string[] = [];
  const anyOf: string[] = [];
  const excluded: string[] = [];
  for (const [, sign, quoted, bare] of text.matchAll(/([?-]?)(?:"([^"]*)"|(\S+))/g)) {
    const term = (quoted ?? bare) as string;
    if (sign === '?') anyOf.push(term);
    else if (sign === '-') excluded.push(term);
    else required.push(term);
  }
  return (message) =>
    required.every((term) => message.includes(term)) &&
    (anyOf.length === 0 || anyOf.some((term) => message.includes(term))) &&
    !excluded.some((term) => message.includes(term));
}
