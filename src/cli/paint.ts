// Colour for terminals that want it: off when the stream is not a TTY, or NO_COLOR is set.
import { styleText } from 'node:util';

export type Style = 'bold' | 'dim' | 'green' | 'yellow' | 'red' | 'cyan';

export type Paint = (style: Style, text: string) => string;

export function painter(isTTY: boolean, env: Readonly<Record<string, string | undefined>>): Paint {
  const enabled = isTTY && !env.NO_COLOR && env.TERM !== 'dumb';
  return enabled ? (style, text) => styleText(style, text) : (_style, text) => text;
}
