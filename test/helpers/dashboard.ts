/**
 * The shape Grafana's dashboard schema (schemaVersion 39, Grafana 10+) requires of an importable dashboard, as
 * a list of problems: top-level fields, no import inputs (file provisioning leaves them unfilled), unique integer
 * panel ids, a 24-column grid without overlaps, a datasource on every panel that names a datasource variable, and
 * targets with unique refIds and a query.
 */
export function dashboardShapeProblems(dashboard: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const expect = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  expect(typeof dashboard.title === 'string' && dashboard.title.length > 0, 'title is missing');
  expect(typeof dashboard.uid === 'string' && /^[A-Za-z0-9_-]{1,40}$/.test(dashboard.uid), 'uid must be 1-40 of A-Z a-z 0-9 _ -');
  expect(Number.isInteger(dashboard.schemaVersion) && (dashboard.schemaVersion as number) >= 36, 'schemaVersion must be an integer ≥ 36');
  const time = dashboard.time as { from?: unknown; to?: unknown } | undefined;
  expect(typeof time?.from === 'string' && typeof time?.to === 'string', 'time.from/time.to are missing');
  expect(Array.isArray(dashboard.tags) && (dashboard.tags as unknown[]).every((tag) => typeof tag === 'string'), 'tags must be strings');
  // Grafana fills __inputs only in its import dialog; a provisioned file keeps `${DS_…}` and finds no datasource.
  expect(dashboard.__inputs === undefined, '__inputs is set: file provisioning does not fill it, use a datasource variable');
  const variables = (dashboard.templating as { list?: Record<string, unknown>[] } | undefined)?.list ?? [];
  const datasourceRefs = new Set(variables.filter((variable) => variable.type === 'datasource').map((variable) => `\${${String(variable.name)}}`));
  const datasourceOk = (datasource: unknown) => {
    const ref = datasource as { type?: string; uid?: string } | undefined;
    return typeof ref?.type === 'string' && typeof ref.uid === 'string' && datasourceRefs.has(ref.uid);
  };
  for (const variable of variables)
    expect(
      typeof variable.name === 'string' &&
        (variable.type === 'datasource' ? typeof variable.query === 'string' : typeof variable.type === 'string' && datasourceOk(variable.datasource)),
      `variable ${String(variable.name)} is incomplete`,
    );

  const panels = dashboard.panels as Record<string, unknown>[] | undefined;
  if (!Array.isArray(panels) || panels.length === 0) return [...problems, 'panels is empty'];
  const ids = new Set<unknown>();
  const boxes: { x: number; y: number; w: number; h: number }[] = [];
  panels.forEach((panel, index) => {
    const at = `panels[${index}]`;
    expect(Number.isInteger(panel.id), `${at}.id must be an integer`);
    expect(!ids.has(panel.id), `${at}.id ${String(panel.id)} is used twice`);
    ids.add(panel.id);
    expect(
      typeof panel.type === 'string' && ['timeseries', 'stat', 'table', 'bargauge', 'gauge', 'text', 'row'].includes(panel.type),
      `${at}.type ${String(panel.type)} is not a core panel`,
    );
    expect(typeof panel.title === 'string' && panel.title.length > 0, `${at}.title is missing`);
    const box = panel.gridPos as { x: number; y: number; w: number; h: number } | undefined;
    if (!box || ![box.x, box.y, box.w, box.h].every(Number.isInteger) || box.w < 1 || box.h < 1) {
      problems.push(`${at}.gridPos must be integers x, y, w ≥ 1, h ≥ 1`);
    } else {
      expect(box.x + box.w <= 24, `${at}.gridPos x+w = ${box.x + box.w} exceeds the 24 columns`);
      const overlap = boxes.findIndex((other) => box.x < other.x + other.w && other.x < box.x + box.w && box.y < other.y + other.h && other.y < box.y + box.h);
      expect(overlap < 0, `${at} overlaps panels[${overlap}]`);
      boxes.push(box);
    }
    if (panel.type === 'row' || panel.type === 'text') return;
    expect(datasourceOk(panel.datasource), `${at}.datasource must reference a datasource variable`);
    const targets = panel.targets as { refId?: string; expr?: string }[] | undefined;
    if (!Array.isArray(targets) || targets.length === 0) {
      problems.push(`${at} has no targets`);
      return;
    }
    const refIds = targets.map((target) => target.refId);
    expect(new Set(refIds).size === refIds.length && refIds.every((refId) => typeof refId === 'string'), `${at} target refIds must be unique strings`);
    for (const target of targets) expect(typeof target.expr === 'string' && target.expr.trim().length > 0, `${at} has a target without expr`);
  });
  return problems;
}

/** Every PromQL query in the dashboard (panel targets and variable queries). */
export function dashboardExpressions(dashboard: Record<string, unknown>): string[] {
  const panels = (dashboard.panels as { targets?: { expr?: string }[] }[] | undefined) ?? [];
  return panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr ?? '')).filter(Boolean);
}

/** A query variable's `label_values(<series selector>, <label>)`, as Grafana sends it to Prometheus's label values API. */
export interface LabelValuesQuery {
  name: string;
  match: string;
  label: string;
}

/** The dashboard's query variables, each parsed from its label_values() call (undefined: not that form). */
export function variableQueries(dashboard: Record<string, unknown>): (LabelValuesQuery | undefined)[] {
  const variables = (dashboard.templating as { list?: { name: string; type: string; query?: { query?: string } }[] } | undefined)?.list ?? [];
  return variables
    .filter((variable) => variable.type === 'query')
    .map((variable) => {
      const match = /^label_values\((.+),\s*(\w+)\)$/.exec(variable.query?.query ?? '');
      return match ? { name: variable.name, match: match[1] as string, label: match[2] as string } : undefined;
    });
}
