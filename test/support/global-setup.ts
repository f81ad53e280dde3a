import type { TestProject } from "vitest/node";
import { findTestRedis } from "./redis-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/** Once per run: find or start Redis and hand its URL to every test file through `inject`. */
export default async function setup(project: TestProject) {
  const redis = await findTestRedis();
  project.provide("redisUrl", redis.url);
  return redis.stop;
}
