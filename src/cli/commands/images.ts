import { buildStackImages } from '../../ops/images.js';
import { formatTable } from '../../ui/table.js';
import type { CommandOptions } from '../commands.js';
import type { CommandContext } from '../context.js';

export async function imagesBuildCommand(ctx: CommandContext, options: CommandOptions<'images build'>): Promise<void> {
  const { ui } = ctx;
  const outcomes = await buildStackImages(ctx, options.logDir);
  if (ctx.options.json) ui.json({ images: outcomes });
  else
    ui.result(
      formatTable(
        ['IMAGE', 'STATE', 'TIME'],
        outcomes.map((outcome) => [outcome.image, outcome.state, outcome.seconds === undefined ? '' : `${outcome.seconds.toFixed(1)} s`]),
      ),
    );
}
