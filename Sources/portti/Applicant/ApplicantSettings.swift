import ArgumentParser
import Configuration
import Foundation
import PorttiLocalization
import PorttiModel
import SystemPackage

/// Where the applicant's portal is and which language to use: from the command line first, then the
/// environment (`PORTTI_URL`, `PORTTI_LANG`, `PORTTI_CA_FILE`), then `$XDG_CONFIG_HOME/portti/config.json`
/// (`{"url": "...", "lang": "fi", "ca": {"file": "..."}}`); the language last from the locale variables.
struct ApplicantSettings: Sendable {
    var portalURL: URL?
    var language: Language
    var caFile: String?

    static func configFile(_ environment: [String: String]) -> String {
        XDG.configHome(environment).appending(path: "portti/config.json").path
    }

    static func resolve(
        portal: String?, lang: String?, caFile: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> ApplicantSettings {
        var parsed: [AbsoluteConfigKey: ConfigValue] = [:]
        if let portal { parsed["url"] = .init(.string(portal), isSecret: false) }
        if let lang { parsed["lang"] = .init(.string(lang), isSecret: false) }
        if let caFile { parsed["ca.file"] = .init(.string(caFile), isSecret: false) }
        // An empty variable counts as unset, as POSIX tools treat it.
        let set = environment.filter { !$0.value.isEmpty }
        let variables = KeyMappingProvider(upstream: EnvironmentVariablesProvider(environmentVariables: set)) {
            $0.prepending(["portti"])
        }
        let file = try await FileProvider<JSONSnapshot>(
            filePath: FilePath(configFile(environment)), allowMissing: true)
        let reader = ConfigReader(providers: [
            InMemoryProvider(name: "command line", values: parsed), variables, file,
        ])
        let language = Self.language(lang: lang, environment: environment)
        return ApplicantSettings(
            portalURL: reader.string(forKey: "url").flatMap(URL.init(string:)), language: language,
            caFile: reader.string(forKey: "ca.file"))
    }

    /// The language of every command, by one rule: `--lang`, then `PORTTI_LANG`, then the config file's `lang`,
    /// then `LC_ALL`/`LC_MESSAGES`/`LANG`; English otherwise. A config file that cannot be read counts as
    /// naming none (the commands that read the rest of it say so).
    static func language(lang: String?, environment: [String: String]) -> Language {
        if let chosen = lang.flatMap(Language.init(localeIdentifier:)) { return chosen }
        if let chosen = environment["PORTTI_LANG"].flatMap(Language.init(localeIdentifier:)) { return chosen }
        if let data = FileManager.default.contents(atPath: configFile(environment)),
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let chosen = (object["lang"] as? String).flatMap(Language.init(localeIdentifier:))
        {
            return chosen
        }
        var localeVariables = environment
        localeVariables["PORTTI_LANG"] = nil
        return Language.fromEnvironment(localeVariables)
    }

    /// Refuses a `--lang` that names none of the three languages (exit 64, with the choices).
    static func validate(lang: String?) throws {
        if let lang, Language(localeIdentifier: lang) == nil {
            throw ValidationError("--lang \(lang): the languages are fi, sv and en.")
        }
    }

    /// Writes `language` as `lang` into the config file, keeping every other setting in it; the file is
    /// replaced whole (written beside it, then renamed), so a crash leaves the old one or the new one. A file
    /// that is not a JSON object is the applicant's to fix and is left alone.
    static func remember(language: Language, environment: [String: String]) {
        let path = configFile(environment)
        var settings: [String: Any] = [:]
        if let data = FileManager.default.contents(atPath: path) {
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return }
            settings = object
        }
        settings["lang"] = language.rawValue
        guard let data = try? JSONSerialization.data(withJSONObject: settings, options: [.prettyPrinted, .sortedKeys]) else { return }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temporary = folder.appending(path: ".config.json.\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600]) else { return }
        if rename(temporary.path, path) != 0 { unlink(temporary.path) }
    }
}
