import Foundation
import PortalAPI
import PorttiModel

// The contract's generated types into the domain model. Unknown enum values are refused by the generated
// decoder and reach the caller as `malformedReply`.

extension Application {
    init(_ value: Components.Schemas.Application) {
        self.init(
            id: value.id, type: ApplicationType(rawValue: value._type.rawValue) ?? .residencePermitWork,
            referenceNumber: value.referenceNumber,
            status: ApplicationStatus(rawValue: value.status.rawValue) ?? .received, submittedAt: value.submittedAt,
            updatedAt: value.updatedAt)
    }
}

extension TimelineEvent {
    init(_ value: Components.Schemas.TimelineEvent) {
        self.init(
            at: value.at, kind: Kind(rawValue: value.kind.rawValue) ?? .statusChanged,
            status: ApplicationStatus(rawValue: value.status.rawValue) ?? .received)
    }
}

extension SupplementRequest {
    init(_ value: Components.Schemas.SupplementRequest) {
        self.init(
            id: value.id, applicationID: value.applicationId, text: value.text, items: value.items,
            deadline: value.deadline, sentAt: value.sentAt, answeredAt: value.answeredAt)
    }
}

extension Attachment {
    init(_ value: Components.Schemas.Attachment) {
        self.init(
            id: value.id, fileName: value.fileName, size: value.size, sha256: value.sha256,
            type: AttachmentType(rawValue: value.mediaType.rawValue) ?? .pdf, uploadedAt: value.uploadedAt)
    }
}

extension Receipt {
    init(_ value: Components.Schemas.Receipt) {
        self.init(
            number: value.number, receivedAt: value.receivedAt, applicationID: value.applicationId,
            requestID: value.requestId, files: value.files.map { File(name: $0.name, size: $0.size, sha256: $0.sha256) })
    }
}

extension PortalNotification {
    init(_ value: Components.Schemas.Notification) {
        self.init(
            id: value.id, sequence: value.sequence, kind: Kind(rawValue: value.kind.rawValue) ?? .messageReceived,
            applicationID: value.applicationId, subjectID: value.subjectId, createdAt: value.createdAt,
            readAt: value.readAt)
    }
}

extension ServedDecision {
    init(_ value: Components.Schemas.Decision) {
        self.init(
            decision: Decision(
                id: value.id, applicationID: value.applicationId, text: value.text, madeAt: value.madeAt,
                servedAt: value.servedAt, hasDocument: value.hasDocument),
            appealDeadline: value.appealDeadline)
    }
}
