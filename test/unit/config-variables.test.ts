import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/platform/config.js';
import { boolean, ConfigError, integer, oneOf, text } from '../../shared/platform/config-kinds.js';
import { configVariables } from '../../shared/platform/config-variables.js';

/** The variables a loadConfig call looks up, recorded by a proxy over `env`. */
function variablesRead(env: Record<string, string>): Set<string> {
  const read = new Set<string>();
  const recording = new Proxy(env, {
    get(target, key) {
      if (typeof key === 'string') read.add(key);
      return Reflect.get(target, key);
    },
  });
  loadConfig(recording);
  return read;
}

describe('the table of configuration variables', () => {
  it('holds every variable loadConfig reads, and only those', () => {
    // An access key and a SASL mechanism make loadConfig read the variables that go with them.
    const read = variablesRead({ HOTSPOTS_S3_ACCESS_KEY_ID: 'AKIA', HOTSPOTS_KAFKA_SASL_MECHANISM: 'plain' });

    expect([...read].sort()).toEqual(Object.keys(configVariables).sort());
  });
});

describe('configuration variable kinds', () => {
  it('put a default through the same checks as a set value', () => {
    const outOfBounds = integer({ default: 5, min: 10, max: 20, doc: 'x' });

    expect(() => outOfBounds.value(undefined, 'X')).toThrow(new ConfigError('X', 'must be between 10 and 20, got 5'));
  });

  it('read a variable without a default as undefined when it is unset or empty', () => {
    const variables = [
      text({ doc: 'x' }),
      oneOf({ values: ['a', 'b'], doc: 'x' }),
      boolean({ derivedDefault: 'y', doc: 'x' }),
    ];

    expect(variables.flatMap((v) => [v.value(undefined, 'X'), v.value('', 'X')])).toEqual(Array(6).fill(undefined));
  });

  it('keep the default as the text one would set', () => {
    expect([
      integer({ default: 1024, min: 1, max: 2048, doc: 'x' }).defaultText,
      boolean({ default: false, doc: 'x' }).defaultText,
      text({ doc: 'x' }).defaultText,
    ]).toEqual(['1024', 'false', undefined]);
  });
});
