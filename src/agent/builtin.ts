/**
 * Registers the built-in components by Flume alias and class name.
 * (Stream sources; the lead merges this list with the other components'.)
 */
import { sources } from "./registry.js";
import { createTwitterSource } from "./sources/twitter.js";
import { createJetstreamSource } from "./sources/jetstream.js";
import { createMastodonSource } from "./sources/mastodon.js";
import { createWikimediaSource } from "./sources/wikimedia.js";
import { createReplaySource } from "./sources/replay.js";
import { createTweetsSource } from "./sources/tweets.js";

sources.push({ alias: "twitter", classNames: ["org.apache.flume.source.twitter.TwitterSource"], factory: createTwitterSource });
sources.push({ alias: "jetstream", classNames: [], factory: createJetstreamSource });
sources.push({ alias: "mastodon", classNames: [], factory: createMastodonSource });
sources.push({ alias: "wikimedia", classNames: [], factory: createWikimediaSource });
sources.push({ alias: "replay", classNames: [], factory: (name, ctx, env) => createReplaySource(name, ctx, env) });
sources.push({ alias: "tweets", classNames: [], factory: (name, ctx, env) => createTweetsSource(name, ctx, env) });
