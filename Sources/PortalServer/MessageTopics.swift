import PorttiModel

/// The topics a message on another matter may have: the authority's short list, "other" last.
public enum MessageTopics {
    public static let standard: [MessageTopic] = [
        MessageTopic(code: "address_change", titles: .init(
            en: "Change of address or contact details", fi: "Osoitteen tai yhteystietojen muutos",
            sv: "Ändrad adress eller kontaktuppgifter")),
        MessageTopic(code: "residence_card", titles: .init(
            en: "Residence permit card", fi: "Oleskelulupakortti", sv: "Uppehållstillståndskort")),
        MessageTopic(code: "appointment", titles: .init(
            en: "Appointment at a service point", fi: "Palvelupisteen ajanvaraus", sv: "Tidsbokning till ett serviceställe")),
        MessageTopic(code: MessageTopic.otherCode, titles: .init(en: "Other matter", fi: "Muu asia", sv: "Annat ärende")),
    ]
}
