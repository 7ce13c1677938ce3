package dev.wschat.server.auth;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads public keys from a PEM file: {@code PUBLIC KEY} (SubjectPublicKeyInfo) and {@code CERTIFICATE} blocks. */
final class PemKeys {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");

    private PemKeys() {
    }

    /**
     * Reads every public key of a PEM file, in file order.
     *
     * @param file the file
     * @return the keys, at least one
     * @throws IllegalArgumentException when the file holds no usable key or a block cannot be read
     */
    static List<PublicKey> read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read public key file " + file + ": " + e.getMessage(), e);
        }
        List<PublicKey> keys = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            byte[] der = Base64.getMimeDecoder().decode(m.group(2));
            try {
                switch (type) {
                    case "PUBLIC KEY" -> keys.add(publicKey(der));
                    case "CERTIFICATE" -> keys.add(CertificateFactory.getInstance("X.509")
                            .generateCertificate(new ByteArrayInputStream(der)).getPublicKey());
                    default -> throw new IllegalArgumentException("public key file " + file + " holds a '" + type
                            + "' block; expected PUBLIC KEY (SubjectPublicKeyInfo) or CERTIFICATE");
                }
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException("public key file " + file + ": cannot read a " + type + " block: "
                        + e.getMessage(), e);
            }
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("public key file " + file + " holds no PEM PUBLIC KEY block");
        }
        return keys;
    }

    private static PublicKey publicKey(byte[] der) throws GeneralSecurityException {
        X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
        GeneralSecurityException first = null;
        for (String algorithm : List.of("RSA", "EC")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePublic(spec);
            } catch (GeneralSecurityException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        throw new GeneralSecurityException("neither an RSA nor an EC key", first);
    }
}
