// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Portti",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "portti", targets: ["portti"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-openapi-async-http-client.git", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        // Pure domain values shared by the server and every client. No I/O.
        .target(name: "PorttiModel", swiftSettings: strict),

        // Words on screen and in errors, from the tables in Resources/strings, embedded at build time.
        .target(
            name: "PorttiLocalization",
            swiftSettings: strict,
            plugins: [.plugin(name: "EmbedStringTables")]
        ),
        .executableTarget(name: "StringTableEmbedder", swiftSettings: strict),
        .plugin(
            name: "EmbedStringTables",
            capability: .buildTool(),
            dependencies: ["StringTableEmbedder"]
        ),

        // The portal contract: code generated from Sources/PortalAPI/openapi.yaml for both sides.
        .target(
            name: "PortalAPI",
            dependencies: [
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
            ],
            swiftSettings: strict,
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),

        // Signed confirmations of receipt: the canonical payload, its JWS (EdDSA/Ed25519) and the JWK Set the
        // portal publishes; the portal signs with it, the client and `portti receipts verify` check with it.
        .target(
            name: "ReceiptProof",
            dependencies: [
                "PorttiModel",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),

        // The portal's storage: one protocol, a SQLite implementation.
        .target(
            name: "PortalStore",
            dependencies: [
                "PorttiModel", "ReceiptProof",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),

        // The portal's storage in PostgreSQL, for several portals over one database: the same protocol and
        // semantics as the SQLite store, through postgres-nio's connection pool.
        .target(
            name: "PortalStorePostgres",
            dependencies: [
                "PortalStore", "PorttiModel", "ReceiptProof",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // Only for the type of the pool's own error (it gave up connecting), which PostgresNIO rethrows.
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // The portal server: Hummingbird serving the generated API over a PortalStore.
        .target(
            name: "PortalServer",
            dependencies: [
                "PorttiModel", "PortalAPI", "PortalStore", "ReceiptProof",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            ],
            swiftSettings: strict
        ),

        // The applicant's side of the portal API: typed results and errors, streamed uploads, retries.
        .target(
            name: "PortalClient",
            dependencies: [
                "PorttiModel", "PortalAPI", "ReceiptProof",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIAsyncHTTPClient", package: "swift-openapi-async-http-client"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),

        // The applicant's local state: drafts, outbox, receipts and the offline cache, in SQLite.
        .target(
            name: "ApplicantStore",
            dependencies: [
                "PorttiModel", "ReceiptProof",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),

        // Sending once: the outbox delivered through the client, resumable after a crash.
        .target(
            name: "Delivery",
            dependencies: ["PorttiModel", "PortalClient", "ApplicantStore", "ReceiptProof"],
            swiftSettings: strict
        ),

        // ncursesw with the wide-character API; only TerminalUI's curses backend imports it.
        .systemLibrary(name: "CNcursesw", path: "Sources/CNcursesw"),

        // The terminal toolkit: cell grid, widgets, the file picker, and the runtime that owns the terminal.
        // It knows no domain; PorttiModel only for its rules of text from outside (UntrustedText).
        .target(
            name: "TerminalUI",
            dependencies: ["CNcursesw", "PorttiModel", "PorttiLocalization"],
            swiftSettings: strict
        ),

        // The file picker in the real runtime: for trying the toolkit by hand and for end-to-end tests in tmux.
        .executableTarget(
            name: "portti-tui-demo",
            dependencies: ["TerminalUI", "PorttiLocalization", "PorttiModel"],
            path: "Sources/TerminalUIDemo",
            swiftSettings: strict
        ),

        // The applicant's terminal UI: screens over the client and the applicant's records.
        .target(
            name: "ApplicantApp",
            dependencies: ["PorttiModel", "PorttiLocalization", "PortalClient", "ApplicantStore", "Delivery", "TerminalUI",
                           "ReceiptProof"],
            swiftSettings: strict
        ),

        .executableTarget(
            name: "portti",
            dependencies: [
                "PorttiModel", "PorttiLocalization", "PortalServer", "PortalStore", "PortalClient", "ApplicantStore",
                "Delivery", "ApplicantApp", "TerminalUI", "PortalStorePostgres", "ReceiptProof",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),

        // How to put several portals behind nginx, as the README says: used by the tests and the benchmarks.
        .target(name: "PortalDeployment", swiftSettings: strict),

        // The benchmarks of docs/benchmarks.md: swift run -c release portti-bench
        .executableTarget(
            name: "portti-bench",
            dependencies: [
                "ApplicantApp", "TerminalUI", "PorttiLocalization", "PortalClient", "portti",
                "PortalStore", "PortalStorePostgres", "PortalDeployment", "PortalServer", "PorttiModel", "ApplicantStore",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/PorttiBenchmarks",
            swiftSettings: strict
        ),

        .testTarget(name: "PorttiModelTests", dependencies: ["PorttiModel"]),
        .testTarget(
            name: "TerminalUITests",
            dependencies: ["TerminalUI", "CNcursesw", "PorttiModel", "PorttiLocalization", "portti-tui-demo", "PortalTestSupport"]
        ),
        .testTarget(name: "PorttiLocalizationTests", dependencies: ["PorttiLocalization"]),
        .testTarget(
            name: "PorttiCommandTests",
            dependencies: ["portti", "PortalTestSupport", "PortalStore", "PortalStorePostgres", "PorttiModel", "ApplicantStore",
                           "ReceiptProof",
                           "PortalClient", "PortalDeployment", "PortalServer",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio")]
        ),
        .testTarget(
            name: "PortalStoreTests",
            dependencies: ["PortalStore", "PortalStorePostgres", "PorttiModel", "PortalTestSupport", "ReceiptProof",
                           .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "PostgresNIO", package: "postgres-nio")]
        ),
        // The real portal on a free loopback port over SQLite in a temporary folder, and a real PostgreSQL
        // server in one, for the tests.
        .target(
            name: "PortalTestSupport",
            dependencies: [
                "PortalServer", "PortalStore", "PortalAPI", "PorttiModel",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIAsyncHTTPClient", package: "swift-openapi-async-http-client"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/PortalTestSupport"
        ),
        .testTarget(
            name: "PortalServerTests",
            dependencies: [
                "PortalTestSupport", "PortalServer", "PortalStore", "PortalAPI", "PorttiModel", "ReceiptProof",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIAsyncHTTPClient", package: "swift-openapi-async-http-client"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "ApplicantAppTests",
            dependencies: [
                "ApplicantApp", "TerminalUI", "PortalTestSupport", "PortalClient", "ApplicantStore", "Delivery",
                "PortalServer", "PortalStore", "PorttiModel", "PorttiLocalization", "ReceiptProof",
            ]
        ),
        .testTarget(
            name: "PortalClientTests",
            dependencies: [
                "PortalTestSupport", "PortalClient", "ApplicantStore", "Delivery", "PortalServer", "PortalStore",
                "PorttiModel", "PorttiLocalization", "portti", "ReceiptProof",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
            ]
        ),
    ]
)
