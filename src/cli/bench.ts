// `serve bench` (cli). Not written yet: registers nothing until its issue lands.
import type { Command } from 'commander';

export function register(_program: Command): void {}
