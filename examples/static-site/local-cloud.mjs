/**
 * A local stand-in for the cloud resources of the getting-started guide, as dynamic providers:
 * a "bucket" is a directory under a root, a "bucket object" is a file in it, a "bucket policy" is a
 * policy.json beside them. The provider methods are serialised into the stack's state, so they
 * import what they use themselves.
 */
import * as pulumi from "@pulumi/pulumi";

const bucketProvider = {
  async create(inputs) {
    const fs = await import("node:fs");
    const path = await import("node:path");
    const bucket = `${inputs.name}-${Math.random().toString(36).slice(2, 8)}`;
    const dir = path.join(inputs.root, bucket);
    fs.mkdirSync(dir, { recursive: true });
    return { id: bucket, outs: { ...inputs, bucket, dir, websiteEndpoint: `file://${path.join(dir, inputs.indexDocument)}` } };
  },
  async diff(_id, olds, news) {
    const replaces = ["root", "indexDocument"].filter((k) => olds[k] !== news[k]);
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
  },
  async delete(_id, props) {
    const fs = await import("node:fs");
    fs.rmSync(props.dir, { recursive: true, force: true });
  },
};

/** A directory serving as a website bucket (stand-in for `aws.s3.Bucket` with `website`). */
export class LocalBucket extends pulumi.dynamic.Resource {
  constructor(name, args, opts) {
    super(bucketProvider, name, { name, root: args.root, indexDocument: args.website?.indexDocument ?? "index.html", bucket: undefined, dir: undefined, websiteEndpoint: undefined }, opts);
  }
}

const objectProvider = {
  async create(inputs) {
    const fs = await import("node:fs");
    const path = await import("node:path");
    fs.writeFileSync(path.join(inputs.dir, inputs.key), inputs.content);
    return { id: `${inputs.bucket}/${inputs.key}`, outs: inputs };
  },
  async diff(_id, olds, news) {
    const replaces = ["dir", "key"].filter((k) => olds[k] !== news[k]);
    const changes = replaces.length > 0 || olds.content !== news.content || olds.contentType !== news.contentType;
    return { changes, replaces };
  },
  async update(_id, _olds, news) {
    const fs = await import("node:fs");
    const path = await import("node:path");
    fs.writeFileSync(path.join(news.dir, news.key), news.content);
    return { outs: news };
  },
  async delete(_id, props) {
    const fs = await import("node:fs");
    const path = await import("node:path");
    fs.rmSync(path.join(props.dir, props.key), { force: true });
  },
};

/** A file in a bucket (stand-in for `aws.s3.BucketObject`). */
export class LocalBucketObject extends pulumi.dynamic.Resource {
  constructor(name, args, opts) {
    super(
      objectProvider,
      name,
      { bucket: args.bucket.bucket, dir: args.bucket.dir, key: args.key, content: args.content, contentType: args.contentType ?? "application/octet-stream" },
      opts,
    );
  }
}

const policyProvider = {
  async create(inputs) {
    const fs = await import("node:fs");
    const path = await import("node:path");
    fs.writeFileSync(path.join(inputs.dir, "policy.json"), inputs.policy);
    return { id: `${inputs.bucket}/policy.json`, outs: inputs };
  },
  async diff(_id, olds, news) {
    return { changes: olds.policy !== news.policy || olds.dir !== news.dir, replaces: olds.dir !== news.dir ? ["dir"] : [] };
  },
  async update(_id, _olds, news) {
    const fs = await import("node:fs");
    const path = await import("node:path");
    fs.writeFileSync(path.join(news.dir, "policy.json"), news.policy);
    return { outs: news };
  },
  async delete(_id, props) {
    const fs = await import("node:fs");
    const path = await import("node:path");
    fs.rmSync(path.join(props.dir, "policy.json"), { force: true });
  },
};

/** The bucket's access policy, kept as policy.json (stand-in for `aws.s3.BucketPolicy`). */
export class LocalBucketPolicy extends pulumi.dynamic.Resource {
  constructor(name, args, opts) {
    super(policyProvider, name, { bucket: args.bucket.bucket, dir: args.bucket.dir, policy: args.policy }, opts);
  }
}
