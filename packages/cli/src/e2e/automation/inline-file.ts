/**
 * The file provider for inline programs: the same contract as FILE_PROVIDER_JS, written as a
 * dynamic provider in this process (its methods are serialised into the state, so they import
 * what they use themselves).
 */
import * as pulumi from "@pulumi/pulumi";

export interface FileArgs {
  dir: pulumi.Input<string>;
  content: pulumi.Input<string>;
  /** Changing it forces a replacement. */
  kind?: pulumi.Input<string>;
  /** Create fails with this message. */
  failCreate?: pulumi.Input<string>;
  /** Create waits this long first (to interrupt an update mid-flight). */
  sleepMs?: pulumi.Input<number>;
}

interface FileInputs {
  name: string;
  dir: string;
  content: string;
  kind?: string;
  failCreate?: string;
  sleepMs?: number;
}

const fileProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: FileInputs) {
    const fs = await import("node:fs");
    const path = await import("node:path");
    if (inputs.failCreate) throw new Error(inputs.failCreate);
    if (inputs.sleepMs) await new Promise((r) => setTimeout(r, inputs.sleepMs));
    const id = `${inputs.name}-${Math.random().toString(36).slice(2, 8)}`;
    fs.writeFileSync(path.join(inputs.dir, `${id}.json`), JSON.stringify({ content: inputs.content }));
    return { id, outs: { ...inputs, size: String(inputs.content ?? "").length } };
  },
  async diff(_id: string, olds: FileInputs, news: FileInputs) {
    const changed = (["content", "kind"] as const).filter((k) => olds[k] !== news[k]);
    return { changes: changed.length > 0, replaces: changed.includes("kind") ? ["kind"] : [] };
  },
  async update(id: string, _olds: FileInputs, news: FileInputs) {
    const fs = await import("node:fs");
    const path = await import("node:path");
    fs.writeFileSync(path.join(news.dir, `${id}.json`), JSON.stringify({ content: news.content }));
    return { outs: { ...news, size: String(news.content ?? "").length } };
  },
  async read(id: string, props: FileInputs) {
    const fs = await import("node:fs");
    const path = await import("node:path");
    const file = path.join(props.dir, `${id}.json`);
    if (!fs.existsSync(file)) return { id: undefined as unknown as string, props: {} };
    const content = (JSON.parse(fs.readFileSync(file, "utf8")) as { content: string }).content;
    return { id, props: { ...props, content, size: String(content ?? "").length } };
  },
  async delete(id: string, props: FileInputs) {
    const fs = await import("node:fs");
    const path = await import("node:path");
    fs.rmSync(path.join(props.dir, `${id}.json`), { force: true });
  },
};

export class File extends pulumi.dynamic.Resource {
  declare readonly content: pulumi.Output<string>;
  declare readonly size: pulumi.Output<number>;
  constructor(name: string, args: FileArgs, opts?: pulumi.CustomResourceOptions) {
    super(fileProvider, name, { size: undefined, name, ...args }, opts);
  }
}
