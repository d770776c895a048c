import PorttiLocalization
import PorttiModel
@testable import TerminalUI

/// Renders a drawing at a size and returns the canvas (the test backend).
func render(width: Int = 80, height: Int = 24, _ draw: (inout Canvas) -> Void) -> Canvas {
    var canvas = Canvas(width: width, height: height)
    draw(&canvas)
    return canvas
}

let english = StringTable(.english)
let finnish = StringTable(.finnish)
let swedish = StringTable(.swedish)

/// Every line of the canvas fits its width (what the curses backend relies on).
func fitsWidth(_ canvas: Canvas) -> Bool {
    canvas.lines.allSatisfy { DisplayWidth.of($0) <= canvas.width }
}

/// The portal's rule for attachments, as the app gives it to the picker (the toolkit knows no kinds of files).
let attachments = FileRule(maxBytes: AttachmentLimits().maxFileBytes, maxPicked: AttachmentLimits().maxFilesPerMessage,
                           signatureLength: AttachmentType.signatureLength) { AttachmentType.detect(prefix: $0)?.name }
