// Colour for terminals that want it: off when the stream is not a TTY (unless FORCE_COLOR asks for
// it, as CI services that render colour do), or NO_COLOR is set.
import { styleText } from 'node:util';

export type Style = 'bold' | 'dim' | 'green' | 'yellow' | 'red' | 'cyan';

export type Paint = (style: Style, text: string) => string;

export function painter(isTTY: boolean, env: Readonly<Record<string, string | undefined>>): Paint {
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  const enabled = (isTTY || forced) && !env.NO_COLOR && env.TERM !== 'dumb';
  // The decision is made here, from the stream and environment given: styleText is not to make it
  // again from process.stdout (a command's output may be another stream).
  return enabled
    ? (style, text) => styleText(style, text, { validateStream: false })
    : (_style, text) => text;
}
