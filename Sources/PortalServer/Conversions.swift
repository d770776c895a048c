import Foundation
import PortalAPI
import PorttiModel

// The domain model and the contract's generated types share their raw values; these map one to the other.

extension Components.Schemas.Application {
    init(_ application: Application) {
        self.init(
            id: application.id, _type: .init(rawValue: application.type.rawValue) ?? .residencePermitWork,
            referenceNumber: application.referenceNumber, status: .init(application.status),
            submittedAt: application.submittedAt, updatedAt: application.updatedAt)
    }
}

extension Components.Schemas.ApplicationStatus {
    init(_ status: ApplicationStatus) { self = .init(rawValue: status.rawValue) ?? .received }
}

extension Components.Schemas.TimelineEvent {
    init(_ event: TimelineEvent) {
        self.init(at: event.at, kind: .init(rawValue: event.kind.rawValue) ?? .statusChanged, status: .init(event.status))
    }
}

extension Components.Schemas.SupplementRequest {
    init(_ request: SupplementRequest, now: Date) {
        self.init(
            id: request.id, applicationId: request.applicationID, text: request.text, items: request.items,
            deadline: request.deadline, sentAt: request.sentAt, answeredAt: request.answeredAt,
            state: .init(rawValue: request.state(at: now).rawValue) ?? .open)
    }
}

extension Components.Schemas.Attachment {
    init(_ attachment: Attachment) {
        self.init(
            id: attachment.id, fileName: attachment.fileName, size: attachment.size, sha256: attachment.sha256,
            mediaType: .init(rawValue: attachment.type.rawValue) ?? .applicationPdf, uploadedAt: attachment.uploadedAt)
    }
}

extension Components.Schemas.Receipt {
    init(_ receipt: Receipt) {
        self.init(
            number: receipt.number, receivedAt: receipt.receivedAt, applicationId: receipt.applicationID,
            messageId: receipt.messageID, topic: receipt.topic, inReplyTo: receipt.inReplyTo,
            applicationReference: receipt.applicationReference, requestId: receipt.requestID,
            files: receipt.files.map { .init(name: $0.name, size: $0.size, sha256: $0.sha256) }, signed: receipt.signed)
    }
}

extension Components.Schemas.Notification {
    init(_ notification: PortalNotification) {
        self.init(
            id: notification.id, sequence: notification.sequence,
            kind: .init(rawValue: notification.kind.rawValue) ?? .messageReceived,
            applicationId: notification.applicationID, topic: notification.topic,
            applicationReference: notification.applicationReference, subjectId: notification.subjectID,
            createdAt: notification.createdAt, readAt: notification.readAt)
    }
}

extension Components.Schemas.Message {
    init(_ message: Message) {
        self.init(
            id: message.id, direction: .init(rawValue: message.direction.rawValue) ?? .fromAuthority,
            applicationId: message.applicationID, applicationReference: message.applicationReference, topic: message.topic,
            requestId: message.requestID, text: message.text,
            attachments: message.attachments.map {
                .init(id: $0.id, name: $0.name, size: $0.size, sha256: $0.sha256,
                      mediaType: .init(rawValue: $0.type.rawValue) ?? .applicationPdf)
            },
            sentAt: message.sentAt, inReplyTo: message.inReplyTo, receipt: message.receipt.map(Components.Schemas.Receipt.init),
            state: message.state.flatMap { .init(rawValue: $0.code) }, readByAuthorityAt: message.readByAuthorityAt,
            answeredBy: message.answeredBy, readAt: message.readAt)
    }
}

extension Components.Schemas.Decision {
    init(_ decision: Decision, appealDays: Int) {
        self.init(
            id: decision.id, applicationId: decision.applicationID, text: decision.text, madeAt: decision.madeAt,
            servedAt: decision.servedAt, appealDeadline: decision.appealDeadline(appealDays: appealDays),
            hasDocument: decision.hasDocument)
    }
}

extension Components.Schemas.Applicant {
    init(_ applicant: Applicant) {
        self.init(id: applicant.id, username: applicant.username, displayName: applicant.displayName)
    }
}
