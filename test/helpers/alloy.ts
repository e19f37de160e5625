/**
 * Reads what a rendered Alloy snippet tells Alloy's Docker discovery, in Prometheus's terms: the label filter of
 * its discovery.docker block and the rule blocks of its discovery.relabel as relabel_configs. A reader for
 * mcpgw's own snippet (flat blocks, string and list attributes), so tests can run Alloy's relabelling where Alloy
 * itself cannot be installed: in a real Prometheus, which implements the same rules.
 */
export interface AlloyDiscovery {
  filters: { name: string; values: string[] }[];
  relabelConfigs: { source_labels: string[]; target_label: string; regex?: string }[];
}

export function readAlloyDiscovery(text: string): AlloyDiscovery {
  const attribute = (block: string, name: string): unknown => {
    const match = new RegExp(`^\\s*${name}\\s*=\\s*(.+)$`, 'm').exec(block);
    return match ? JSON.parse(match[1] as string) : undefined;
  };
  const blocks = (body: string, kind: string) => [...body.matchAll(new RegExp(`${kind}\\s*\\{([^{}]*)\\}`, 'g'))].map((match) => match[1] as string);
  const section = (component: string) => new RegExp(`${component} "[^"]+" \\{([\\s\\S]*?)\\n\\}`).exec(text)?.[1] ?? '';
  return {
    filters: blocks(section('discovery.docker'), 'filter').map((block) => ({
      name: attribute(block, 'name') as string,
      values: attribute(block, 'values') as string[],
    })),
    relabelConfigs: blocks(section('discovery.relabel'), 'rule').map((block) => {
      const regex = attribute(block, 'regex') as string | undefined;
      return {
        source_labels: attribute(block, 'source_labels') as string[],
        ...(regex === undefined ? {} : { regex }),
        target_label: attribute(block, 'target_label') as string,
      };
    }),
  };
}
