import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layer rules and "no cycles", on every import (type-only ones too) of functions/, local/ and cli/:
 * the domain imports nothing outside the domain; adapters never import handlers; functions/ never
 * imports local/ or cli/ (they may import functions/); and no module reaches itself through its imports.
 */
const root = new URL('../..', import.meta.url).pathname;
const sources = ['functions', 'local', 'cli'].flatMap((dir) =>
  readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .map((f) => join(root, dir, f))
    .filter((f) => f.endsWith('.ts') && statSync(f).isFile()),
);
const rel = (file: string) => relative(root, file);

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)]
    .map((m) => resolve(dirname(file), (m[1] ?? m[2]) as string))
    .filter((target) => target.endsWith('.ts'));
}
const graph = new Map(sources.map((file) => [file, importsOf(file)]));

describe('dependency rules', () => {
  it('the domain imports nothing outside functions/domain/', () => {
    const outside = sources
      .filter((f) => rel(f).startsWith('functions/domain/'))
      .flatMap((f) =>
        graph
          .get(f)!
          .filter((t) => !rel(t).startsWith('functions/domain/'))
          .map((t) => `${rel(f)} -> ${rel(t)}`),
      );
    expect(outside).toEqual([]);
  });

  it('adapters never import handlers, and functions/ never imports local/ or cli/', () => {
    const wrong = sources.flatMap((f) =>
      graph
        .get(f)!
        .filter(
          (t) =>
            (rel(f).startsWith('functions/adapters/') && rel(t).startsWith('functions/handlers/')) ||
            (rel(f).startsWith('functions/') && /^(local|cli)\//.test(rel(t))),
        )
        .map((t) => `${rel(f)} -> ${rel(t)}`),
    );
    expect(wrong).toEqual([]);
  });

  it('has no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const path: string[] = [];
    const visit = (file: string) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(file)), file].map(rel).join(' -> '));
        return;
      }
      state.set(file, 'visiting');
      path.push(file);
      for (const next of graph.get(file) ?? []) if (graph.has(next)) visit(next);
      path.pop();
      state.set(file, 'done');
    };
    for (const file of sources) visit(file);
    expect(cycles).toEqual([]);
  });

  it('sees the imports it checks (the rules cannot pass on an empty graph)', () => {
    expect(sources.length).toBeGreaterThan(80);
    expect(graph.get(join(root, 'functions/domain/sweep/sweep.ts'))).toContain(join(root, 'functions/domain/workflow-start.ts'));
  });
});
