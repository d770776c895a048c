import Foundation
import PortalStore
import PorttiModel

/// A demo applicant whose applications stand in every state, so a newcomer sees every flow at once.
public enum DemoData {
    public static let username = "demo"
    public static let password = "demo-portti"

    /// Seeds the demo applicant unless it exists; answers whether it seeded.
    @discardableResult
    public static func seed(store: any PortalStore, documents: any DocumentStorage, bcryptCost: UInt8 = 10, now: Date = Date())
        async throws -> Bool
    {
        if try await store.applicant(username: username) != nil { return false }
        let day: TimeInterval = 86_400
        let applicant = try await store.createApplicant(
            username: username, displayName: "Aino Virtanen",
            passwordHash: try await Passwords.hash(password, cost: bcryptCost), now: now - 90 * day)

        // Waiting for additional information: one open request with a deadline.
        let work = try await store.createApplication(applicantID: applicant.id, type: .residencePermitWork, now: now - 60 * day)
        _ = try await store.setStatus(applicationID: work.id, status: .inProcessing, now: now - 50 * day)
        _ = try await store.issueRequest(
            applicationID: work.id,
            text: "To process your application we need more information about your employment.",
            items: ["The signed employment contract", "Your latest payslip"],
            deadline: Calendar.portal.endOfDay(now + 14 * day), now: now - 2 * day)

        // In processing again after a request that was answered.
        let family = try await store.createApplication(
            applicantID: applicant.id, type: .residencePermitFamily, now: now - 80 * day)
        _ = try await store.setStatus(applicationID: family.id, status: .inProcessing, now: now - 70 * day)
        let answered = try await store.issueRequest(
            applicationID: family.id, text: "Send a copy of your marriage certificate.",
            items: ["Marriage certificate, with an official translation"],
            deadline: Calendar.portal.endOfDay(now - 20 * day), now: now - 40 * day)
        let certificate = try await documents.receive(
            AsyncStreamOfOne(Array(minimalPDF(title: "Marriage certificate").utf8)[...]), maxBytes: .max)
        let attachment = try await store.recordAttachment(NewAttachment(
            applicantID: applicant.id, idempotencyKey: "demo-certificate", fileName: "marriage-certificate.pdf",
            size: certificate.size, sha256: certificate.sha256, type: certificate.type, now: now - 30 * day))
        _ = try await store.receiveMessage(NewMessage(
            applicantID: applicant.id, idempotencyKey: "demo-answer", target: .request(answered.id),
            text: "Here is our marriage certificate with its translation.", attachmentIDs: [attachment.id],
            now: now - 30 * day))

        // Decided: a decision with its document, not yet opened.
        let study = try await store.createApplication(
            applicantID: applicant.id, type: .residencePermitStudy, now: now - 85 * day)
        _ = try await store.setStatus(applicationID: study.id, status: .inProcessing, now: now - 75 * day)
        let document = try await documents.receive(
            AsyncStreamOfOne(Array(minimalPDF(title: "Decision: residence permit for studies granted").utf8)[...]),
            maxBytes: .max)
        _ = try await store.recordDecision(
            applicationID: study.id,
            text: "You have been granted a residence permit for studies, valid for two years.",
            documentSHA256: document.sha256, now: now - 1 * day)

        // A short exchange on the family application: the applicant asked, the authority read and answered,
        // and the applicant has read the answer.
        let question = try await store.receiveMessage(NewMessage(
            applicantID: applicant.id, idempotencyKey: "demo-question", target: .application(family.id),
            text: "We sent the marriage certificate a month ago. Is anything else needed from us?", attachmentIDs: [],
            now: now - 12 * day))
        let questionID = ApplicantMessageID.of(receiptNumber: question.number)
        _ = try await store.markReadByAuthority(messageID: questionID, now: now - 11 * day)
        let reply = try await store.sendAuthorityMessage(NewAuthorityMessage(
            target: .reply(questionID),
            text: "Thank you, nothing else is needed. Your application is being processed.", files: [], now: now - 10 * day))
        _ = try await store.markMessageRead(id: reply.id, applicantID: applicant.id, now: now - 9 * day)

        // A message on another matter, received and not yet read by the authority.
        _ = try await store.receiveMessage(NewMessage(
            applicantID: applicant.id, idempotencyKey: "demo-card", target: .topic("residence_card"),
            text: "My residence permit card has not arrived. Could you check where it was sent?", attachmentIDs: [],
            now: now - 5 * day))

        // Just received, with the authority's message not yet opened (a letter to save).
        let citizenship = try await store.createApplication(applicantID: applicant.id, type: .citizenship, now: now - 3 * day)
        let letter = try await documents.receive(
            AsyncStreamOfOne(Array(minimalPDF(title: "Appointment to prove your identity").utf8)[...]), maxBytes: .max)
        _ = try await store.sendAuthorityMessage(NewAuthorityMessage(
            target: .application(citizenship.id),
            text: "Please visit a service point to prove your identity. The appointment letter is attached.",
            files: [.init(name: "appointment.pdf", size: letter.size, sha256: letter.sha256, type: letter.type)],
            now: now - 36 * 3600))
        return true
    }

    /// A one-page PDF with a line of text: enough for any viewer to open.
    public static func minimalPDF(title: String) -> String {
        let text = title.replacingOccurrences(of: "(", with: "[").replacingOccurrences(of: ")", with: "]")
        let stream = "BT /F1 14 Tf 72 720 Td (\(text)) Tj ET"
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            "<< /Length \(stream.utf8.count) >>\nstream\n\(stream)\nendstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
        var pdf = "%PDF-1.4\n"
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(pdf.utf8.count)
            pdf += "\(index + 1) 0 obj\n\(object)\nendobj\n"
        }
        let xref = pdf.utf8.count
        pdf += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets { pdf += String(format: "%010d 00000 n \n", offset) }
        pdf += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return pdf
    }
}

/// One chunk as an async sequence, to feed a buffer in memory to the document storage.
struct AsyncStreamOfOne: AsyncSequence, Sendable {
    typealias Element = ArraySlice<UInt8>
    let chunk: ArraySlice<UInt8>
    init(_ chunk: ArraySlice<UInt8>) { self.chunk = chunk }

    struct AsyncIterator: AsyncIteratorProtocol {
        var chunk: ArraySlice<UInt8>?
        mutating func next() async -> ArraySlice<UInt8>? {
            defer { chunk = nil }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunk: chunk) }
}
