// The public surface is deliberate: a change to these lists must be a decision, not an accident.
import { describe, expect, it } from "vitest";
import * as root from "./index.js";
import * as browser from "./browser/index.js";

describe("public exports", () => {
  it("@gatehouse/react", () => {
    expect(Object.keys(root).sort()).toEqual([
      "BackupCodes",
      "GatehouseAPIError",
      "GatehouseProvider",
      "PasskeySettings",
      "Protect",
      "ResetPassword",
      "SecondFactorSettings",
      "SignIn",
      "SignUp",
      "SignedIn",
      "SignedOut",
      "UserButton",
      "UserProfile",
      "VerifyEmail",
      "createGatehouseClient",
      "defaultMessages",
      "formatMessage",
      "mergeMessages",
      "useAuth",
      "useGatehouse",
      "useSession",
      "useUser",
    ]);
  });

  it("@gatehouse/react/browser", () => {
    expect(Object.keys(browser).sort()).toEqual(["GatehouseAPIError", "createGatehouseClient"]);
  });
});
