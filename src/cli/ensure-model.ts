// The first run on a fresh clone (cli): `serve up` and `serve demo` build the bundled demo model
// when the profile names it and the registry lacks it, saying so in one line. Any other missing
// model stays the registry's one clear error.
import { UserError, errorMessage } from '../common/errors.js';
import { DEMO_MODEL_NAME, writeDemoModel } from '../model/demo.js';
import { listVersions, resolveModel } from '../model/registry.js';
import type { Profile } from '../profile/types.js';

/** Resolves the profile's model in `registry`, writing the demo model there first when that is the one missing. */
export async function ensureModel(registry: string, profile: Profile, say: (line: string) => void): Promise<void> {
  const { name, version } = profile.model;
  try {
    await resolveModel(registry, version === 'latest' ? name : `${name}@${version}`);
    return;
  } catch (err) {
    // Only a registry without the demo model at all gets one; a missing version stays an error.
    if (name !== DEMO_MODEL_NAME || (await listVersions(registry, name).catch(() => [])).length > 0) throw err;
  }
  const written = await writeDemoModel(registry, { version: version === 'latest' ? 1 : version }).catch(
    (err: unknown) => {
      throw new UserError(
        `cannot write the demo model into ${registry}: ${errorMessage(err)} (pass ` +
          `--registry DIR with a folder you can write)`,
      );
    },
  );
  say(
    `built the demo model ${written.name}@${written.version} in ${written.dir} (the ` +
      `profile serves it and the registry lacked it)`,
  );
}
