/** The in-process user-change feed against the shared conformance suite. */
import { describeUserChangeFeedConformance } from "./conformance.test-suite.js";
import { createLocalUserChangeFeed } from "./user-change-feed.js";

describeUserChangeFeedConformance("in-process", async () => {
  // One process is one instance: both sides are the same feed.
  const feed = createLocalUserChangeFeed();
  return { here: feed, there: feed, teardown: () => feed.close() };
});
