import Foundation
import PortalAPI
import PorttiModel

// The contract's generated types into the domain model. Unknown enum values are refused by the generated
// decoder and reach the caller as `malformedReply`.

extension Application {
    init(_ value: Components.Schemas.Application) throws {
        self.init(
            id: try Checked.id(value.id), type: ApplicationType(rawValue: value._type.rawValue) ?? .residencePermitWork,
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
    init(_ value: Components.Schemas.SupplementRequest) throws {
        self.init(
            id: try Checked.id(value.id), applicationID: try Checked.id(value.applicationId), text: value.text, items: value.items,
            deadline: value.deadline, sentAt: value.sentAt, answeredAt: value.answeredAt)
    }
}

extension Attachment {
    init(_ value: Components.Schemas.Attachment) throws {
        self.init(
            id: try Checked.id(value.id), fileName: value.fileName, size: value.size, sha256: try Checked.digest(value.sha256),
            type: AttachmentType(rawValue: value.mediaType.rawValue) ?? .pdf, uploadedAt: value.uploadedAt)
    }
}

extension Receipt {
    init(_ value: Components.Schemas.Receipt) throws {
        self.init(
            number: try Checked.id(value.number), receivedAt: value.receivedAt, applicationID: try value.applicationId.map(Checked.id),
            applicationReference: value.applicationReference, requestID: try value.requestId.map(Checked.id),
            files: try value.files.map { File(name: $0.name, size: $0.size, sha256: try Checked.digest($0.sha256)) },
            messageID: try value.messageId.map(Checked.id), topic: try value.topic.map(Checked.id),
            inReplyTo: try value.inReplyTo.map(Checked.id), signed: value.signed)
    }
}

extension PortalNotification {
    init(_ value: Components.Schemas.Notification) throws {
        self.init(
            id: try Checked.id(value.id), sequence: value.sequence, kind: Kind(rawValue: value.kind.rawValue) ?? .messageReceived,
            applicationID: try value.applicationId.map(Checked.id), applicationReference: value.applicationReference,
            subjectID: try Checked.id(value.subjectId), createdAt: value.createdAt, readAt: value.readAt,
            topic: try value.topic.map(Checked.id))
    }
}

extension Message {
    init(_ value: Components.Schemas.Message) throws {
        self.init(
            id: try Checked.id(value.id), direction: MessageDirection(rawValue: value.direction.rawValue) ?? .fromAuthority,
            applicationID: try value.applicationId.map(Checked.id), applicationReference: value.applicationReference,
            topic: try value.topic.map(Checked.id), requestID: try value.requestId.map(Checked.id), text: value.text,
            attachments: try value.attachments.map {
                MessageAttachment(
                    id: try Checked.id($0.id), name: FileName.sanitized($0.name), size: $0.size, sha256: try Checked.digest($0.sha256),
                    type: AttachmentType(rawValue: $0.mediaType.rawValue) ?? .pdf)
            },
            sentAt: value.sentAt, inReplyTo: try value.inReplyTo.map(Checked.id), receipt: try value.receipt.map(Receipt.init),
            readByAuthorityAt: value.readByAuthorityAt, answeredBy: try value.answeredBy.map(Checked.id), readAt: value.readAt)
    }
}

extension ServedDecision {
    init(_ value: Components.Schemas.Decision) throws {
        self.init(
            decision: Decision(
                id: try Checked.id(value.id), applicationID: try Checked.id(value.applicationId), text: value.text, madeAt: value.madeAt,
                servedAt: value.servedAt, hasDocument: value.hasDocument),
            appealDeadline: value.appealDeadline)
    }
}

/// Identifiers from the portal travel into commands, file names and terminals: only plain ones are accepted.
enum Checked {
    struct Refused: Error {}

    static func id(_ text: String) throws -> String {
        guard (1...200).contains(text.utf8.count),
            text.utf8.allSatisfy({ $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
                || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":") })
        else { throw Refused() }
        return text
    }

    static func digest(_ text: String) throws -> String {
        guard text.utf8.count == 64, text.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw Refused()
        }
        return text
    }
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool { (48...57).contains(self) || (65...90).contains(self) || (97...122).contains(self) }
}
