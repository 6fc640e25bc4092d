//! Legacy voice answers (docs/voice.md#legacy-voice-answers): the candidate uploads a recording, the server
//! transcribes it (`POST /v1/audio/transcriptions`), runs the text turn, and synthesizes the interviewer's
//! reply (`POST /v1/audio/speech`). Pure pieces only: the audio sniffing that decides 415, the multipart
//! body of a transcription request, reading its answer, and the speech request.

use serde_json::{json, Value};

/// Largest accepted recording (the transcription API's own limit).
pub const MAX_AUDIO_BYTES: usize = 25 * 1024 * 1024;

/// The voice of synthesized replies (tts-1 knows it).
pub const SPEECH_VOICE: &str = "alloy";

/// A recording's container, recognised by its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioFormat {
    Webm,
    Ogg,
    Mp3,
    Mp4,
    Wav,
}

impl AudioFormat {
    /// The file extension the transcription API reads the format from.
    #[must_use]
    pub const fn extension(self) -> &'static str {
        match self {
            AudioFormat::Webm => "webm",
            AudioFormat::Ogg => "ogg",
            AudioFormat::Mp3 => "mp3",
            AudioFormat::Mp4 => "m4a",
            AudioFormat::Wav => "wav",
        }
    }

    #[must_use]
    pub const fn content_type(self) -> &'static str {
        match self {
            AudioFormat::Webm => "audio/webm",
            AudioFormat::Ogg => "audio/ogg",
            AudioFormat::Mp3 => "audio/mpeg",
            AudioFormat::Mp4 => "audio/mp4",
            AudioFormat::Wav => "audio/wav",
        }
    }
}

/// The format of `bytes` by magic bytes (webm/ogg/mp3/mp4/m4a/wav), whatever the client claims.
#[must_use]
pub fn sniff_audio(bytes: &[u8]) -> Option<AudioFormat> {
    let at = |offset: usize, magic: &[u8]| bytes.get(offset..offset + magic.len()) == Some(magic);
    if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        Some(AudioFormat::Webm)
    } else if at(0, b"OggS") {
        Some(AudioFormat::Ogg)
    } else if at(0, b"ID3") || (bytes.len() >= 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0) {
        Some(AudioFormat::Mp3)
    } else if at(4, b"ftyp") {
        Some(AudioFormat::Mp4)
    } else if at(0, b"RIFF") && at(8, b"WAVE") {
        Some(AudioFormat::Wav)
    } else {
        None
    }
}

/// The `multipart/form-data` body of a transcription request: `file` (named so the extension
/// tells the format), `model` and `response_format=json`. `boundary` must not occur in `audio`
/// (a random 32-character token does not, in practice; the caller draws it).
#[must_use]
pub fn transcription_body(boundary: &str, audio: &[u8], format: AudioFormat, model: &str) -> Vec<u8> {
    let mut body = Vec::with_capacity(audio.len() + 512);
    let mut field = |name: &str, value: &str| {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    };
    field("model", model);
    field("response_format", "json");
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"answer.{}\"\r\nContent-Type: {}\r\n\r\n",
            format.extension(),
            format.content_type()
        )
        .as_bytes(),
    );
    body.extend_from_slice(audio);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

/// A transcription's text and, when the provider reports it, the billed duration in ms.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    pub text: String,
    pub duration_ms: Option<u64>,
}

/// Reads a transcription answer (`{"text": …, "usage"?: {"type":"duration","seconds":…}}`).
///
/// # Errors
/// A message for logs when the body is not JSON with a string `text`.
pub fn parse_transcription(body: &str) -> Result<Transcript, &'static str> {
    let value: Value = serde_json::from_str(body).map_err(|_| "transcription is not JSON")?;
    let text = value.get("text").and_then(Value::as_str).ok_or("transcription has no text")?;
    let seconds = value
        .pointer("/usage/seconds")
        .and_then(Value::as_f64)
        .or_else(|| value.get("duration").and_then(Value::as_f64))
        .filter(|s| s.is_finite() && *s >= 0.0);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let duration_ms = seconds.map(|s| (s * 1000.0).round() as u64);
    Ok(Transcript { text: text.trim().to_owned(), duration_ms })
}

/// The speech request for the interviewer's reply (`input` ≤ 4,096 characters).
#[must_use]
pub fn speech_request(model: &str, text: &str) -> Value {
    let input: String = text.chars().take(4_096).collect();
    json!({ "model": model, "input": input, "voice": SPEECH_VOICE, "response_format": "mp3" })
}

/// Duration of a WAV or other recording is unknown without decoding; estimate it from the
/// bytes when the provider does not report it: 16 kB/s (128 kbit/s) is a conservative rate for
/// compressed speech, so the estimate errs towards billing more.
#[must_use]
pub fn estimated_duration_ms(bytes: usize) -> u64 {
    u64::try_from(bytes).unwrap_or(u64::MAX) / 16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_reads_magic_bytes_not_names() {
        let cases: [(&[u8], Option<AudioFormat>); 9] = [
            (&[0x1A, 0x45, 0xDF, 0xA3, 0x9F], Some(AudioFormat::Webm)),
            (b"OggS\0\x02", Some(AudioFormat::Ogg)),
            (b"ID3\x04\0\0", Some(AudioFormat::Mp3)),
            (&[0xFF, 0xFB, 0x90, 0x64], Some(AudioFormat::Mp3)),
            (b"\0\0\0\x20ftypM4A ", Some(AudioFormat::Mp4)),
            (b"RIFF\x24\0\0\0WAVEfmt ", Some(AudioFormat::Wav)),
            (b"RIFF\x24\0\0\0AVI LIST", None),
            (b"\x89PNG\r\n\x1a\n", None),
            (b"", None),
        ];
        for (bytes, expected) in cases {
            assert_eq!(sniff_audio(bytes), expected, "{bytes:?}");
        }
    }

    #[test]
    fn the_multipart_body_carries_the_file_and_the_model() {
        let body = transcription_body("BOUNDARY42", b"\x1aE\xdf\xa3audio", AudioFormat::Webm, "whisper-1");
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with("--BOUNDARY42\r\n"));
        assert!(text.contains("name=\"model\"\r\n\r\nwhisper-1\r\n"));
        assert!(text.contains("filename=\"answer.webm\"\r\nContent-Type: audio/webm\r\n\r\n"));
        assert!(text.ends_with("\r\n--BOUNDARY42--\r\n"));
        assert!(body.windows(9).any(|w| w == b"\x1aE\xdf\xa3audio"));
    }

    #[test]
    fn transcriptions_parse_with_or_without_usage() {
        let t = parse_transcription(
            r#"{"text":" I would use a hook. ","usage":{"type":"duration","seconds":9}}"#,
        )
        .unwrap();
        assert_eq!(t, Transcript { text: "I would use a hook.".into(), duration_ms: Some(9_000) });
        assert_eq!(parse_transcription(r#"{"text":"x"}"#).unwrap().duration_ms, None);
        assert!(parse_transcription("text").is_err());
        assert!(parse_transcription(r#"{"txt":"x"}"#).is_err());
    }

    #[test]
    fn speech_input_is_capped() {
        let long = "a".repeat(5_000);
        let req = speech_request("tts-1", &long);
        assert_eq!(req["input"].as_str().unwrap().len(), 4_096);
        assert_eq!(req["response_format"], "mp3");
    }
}
