import { z } from "zod";
import { parseAddress } from "./address.js";

/**
 * Option schemas that several plugins share, so an address or a TLS block is checked and
 * documented the same way everywhere. Add `.default()` and `.describe()` at the use site.
 */

/** `host:port` (`127.0.0.1:8080`, `[::1]:8080`); the issue message says what is wrong. */
export const HostPortOption = z.string().superRefine((address, ctx) => {
  const hp = parseAddress(address);
  if (typeof hp === "string") ctx.addIssue({ code: "custom", message: hp });
});

/** PEM file paths for an HTTPS listener (read at startup through HTTP_SERVERS); describe it at the use site. */
export const HttpsFilesOption = z
  .strictObject({
    cert: z.string().min(1).describe("Path of the PEM certificate (chain) file."),
    key: z.string().min(1).describe("Path of the PEM private key file."),
  });
