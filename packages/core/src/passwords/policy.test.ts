import { describe, expect, it } from "vitest";
import { WeakPasswordError } from "../errors/index.js";
import { COMMON_PASSWORDS } from "./common-passwords.generated.js";
import { checkNewPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "./policy.js";

const codeOf = (password: string): string | null => {
  try {
    checkNewPassword(password);
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(WeakPasswordError);
    return (error as WeakPasswordError).code;
  }
};

describe("checkNewPassword (NIST SP 800-63B)", () => {
  it("bundles a list covering at least the 100,000 most common passwords", () => {
    const entries = COMMON_PASSWORDS.split("\n");
    expect(entries.length).toBeGreaterThan(70_000);
    for (const common of ["password", "12345678", "qwertyuiop", "iloveyou1", "football1"]) {
      expect(codeOf(common)).toBe("password_too_common");
    }
  });

  it("counts length in code points after NFKC, at both ends", () => {
    expect(MIN_PASSWORD_LENGTH).toBe(8);
    expect(codeOf("🦊🦊🦊🦊🦊🦊🦊")).toBe("password_too_short"); // 14 UTF-16 units, 7 characters
    expect(codeOf("🦊🦊🦊🦊🦊🦊🦊🦊")).toBeNull();
    expect(codeOf("ß".repeat(MAX_PASSWORD_LENGTH))).toBeNull();
    expect(codeOf("ß".repeat(MAX_PASSWORD_LENGTH + 1))).toBe("password_too_long");
  });

  it("has no composition rules", () => {
    expect(codeOf("all lower case words here")).toBeNull();
    expect(codeOf("zzzzqqqqxxxxwwww")).toBeNull();
  });

  it("returns the NFKC form that gets hashed", () => {
    expect(checkNewPassword("ｆｕｌｌ ｗｉｄｔｈ ｐｈｒａｓｅ")).toBe("full width phrase");
    expect(checkNewPassword("cafe\u0301 au lait")).toBe("café au lait");
  });
});
