import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { ConfigVariable } from '../../shared/platform/config-kinds.js';
import { configVariables } from '../../shared/platform/config-variables.js';

/**
 * serverless.yml against the table of variables (shared/platform/config-variables.ts): what the
 * functions are given on AWS and locally must be what loadConfig reads, with the table's defaults
 * or an AWS-stage override the table documents (`onAws`). Parsed as the Serverless Framework parses
 * it: its js-yaml with its CloudFormation schema (`!Ref`, `!GetAtt`, …).
 */
const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(source: string, options: { schema: unknown }): unknown };
const cloudformationSchema: unknown = require('@serverless/utils/cloudformation-schema');

type Tree = Record<string, unknown>;
const isTree = (value: unknown): value is Tree => typeof value === 'object' && value !== null && !Array.isArray(value);
const tree = (value: unknown): Tree => (isTree(value) ? value : {});

const service = tree(
  yaml.load(readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8'), { schema: cloudformationSchema }),
);
const params = tree(service.params);
const custom = tree(service.custom);

interface Setting {
  /** `provider` or `functions.<name>`. */
  where: string;
  variable: string;
  value: unknown;
}

const environments: [string, Tree][] = [
  ['provider', tree(tree(service.provider).environment)],
  ...Object.entries(tree(service.functions)).map(([name, fn]): [string, Tree] => [
    `functions.${name}`,
    tree(tree(fn).environment),
  ]),
];
const settings: Setting[] = environments.flatMap(([where, environment]) =>
  Object.entries(environment)
    .filter(([variable]) => variable.startsWith('HOTSPOTS_'))
    .map(([variable, value]) => ({ where, variable, value })),
);

const table: Readonly<Record<string, ConfigVariable>> = configVariables;

const paramReference = /^\$\{param:([A-Za-z0-9_-]+)\}$/;
const customReference = /^\$\{self:custom\.([A-Za-z0-9_-]+)\}$/;
/** `${env:NAME, 'fallback'}`: the local stack's way of letting the variable itself override the value. */
const envReference = /^\$\{env:([A-Za-z0-9_]+), '([^']*)'\}$/;

/** What a setting resolves to on one stage (`local`, or `default`: the AWS stages), one level deep. */
function onStage(setting: Setting, stage: 'local' | 'default'): { value: unknown; param: string | undefined } {
  const raw = String(setting.value);
  const param = raw.match(paramReference)?.[1];
  if (param !== undefined) return { value: tree(params[stage])[param], param };
  const key = raw.match(customReference)?.[1];
  if (key !== undefined) return { value: custom[key], param: undefined };
  return { value: setting.value, param: undefined };
}

/** The setting's value on AWS stages where it differs from the table's default; undefined when it does not. */
function awsOverride(setting: Setting): { value: string; param: string | undefined } | undefined {
  const { value, param } = onStage(setting, 'default');
  const raw = String(value ?? '');
  const text = raw.match(envReference)?.[2] ?? raw;
  // Empty is unset, so the table's default applies (config-kinds.ts).
  if (text === '' || text === table[setting.variable]?.defaultText) return undefined;
  return { value: text, param };
}

describe('serverless.yml environment', () => {
  it('sets HOTSPOTS_* variables', () => {
    expect(settings.map((s) => s.variable)).toContain('HOTSPOTS_KAFKA_BROKERS');
  });

  it('sets only HOTSPOTS_* variables the configuration table declares', () => {
    const undeclared = settings.filter((s) => !(s.variable in table)).map((s) => `${s.where}.${s.variable}`);

    expect(undeclared, 'declare them in shared/platform/config-variables.ts').toEqual([]);
  });

  it('lets each variable override its local-stage value through the variable itself', () => {
    const crossed = settings.flatMap((setting) => {
      const name = String(onStage(setting, 'local').value ?? '').match(envReference)?.[1];
      return name === undefined || name === setting.variable ? [] : [`${setting.variable} reads \${env:${name}}`];
    });

    expect(crossed).toEqual([]);
  });

  it("gives AWS stages the table's defaults except where the table documents an override", () => {
    const overridden = [...new Set(settings.filter((s) => awsOverride(s) !== undefined).map((s) => s.variable))];
    const documented = Object.entries(table)
      .filter(([, variable]) => variable.onAws !== undefined)
      .map(([name]) => name);

    expect(overridden.sort(), 'document them as `onAws` in shared/platform/config-variables.ts').toEqual(
      documented.sort(),
    );
  });

  it('names the deploy param of each documented AWS override', () => {
    const unnamed = settings.flatMap((setting) => {
      const param = awsOverride(setting)?.param;
      const doc = table[setting.variable]?.onAws ?? '';
      return param === undefined || doc.includes(`\`${param}\``) ? [] : [`${setting.variable}: ${param}`];
    });

    expect(unnamed).toEqual([]);
  });
});
